#pragma once
// pocketsphinx (config type "pocketsphinx"): English, local, streaming. A decoder holds
// its own copy of the model (~0.3 s to create), so the engine keeps a pool of them,
// created lazily up to `decoders`; a stream borrows one from open() until it is destroyed
// and decodes on the worker pool while the user speaks.
#include <cstddef>
#include <memory>
#include <string>

#include "providers/asr/asr.h"
#include "providers/provider_context.h"

namespace xz::providers {

struct PocketsphinxOptions {
  std::string hmm = "/usr/share/pocketsphinx/model/en-us/en-us";
  std::string lm = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin";
  std::string dict = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";
  std::size_t decoders = 0;  // 0 = 2 x cores
};

class PocketsphinxAsr : public AsrEngine {
 public:
  // Config keys: hmm, lm, dict, decoders. Creates the first decoder at once (blocking,
  // ~0.3 s) so bad model paths fail here, as EngineConfigError.
  PocketsphinxAsr(const EngineConfig& cfg, ProviderContext& ctx);
  ~PocketsphinxAsr() override;

  // Borrows a decoder: an idle one, else a new one (created on the worker pool) while
  // fewer than `decoders` exist, else waits (asynchronously, cancellable) for a release.
  boost::asio::awaitable<std::unique_ptr<AsrStream>> open() override;

  std::size_t max_decoders() const;
  // Decoders that exist now (idle or lent out).
  std::size_t live_decoders() const;

  class DecoderPool;

 private:
  std::shared_ptr<DecoderPool> decoders_;
  boost::asio::thread_pool& workers_;
};

}  // namespace xz::providers
