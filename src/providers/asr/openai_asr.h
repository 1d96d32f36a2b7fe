#pragma once
// OpenAI-compatible batch transcription (/audio/transcriptions: OpenAI, Groq, local
// whisper servers). A stream only collects the utterance; finish() uploads it as a
// 16 kHz mono WAV (multipart: file, model, language) and returns the JSON `text`.
//
// Config keys: base_url | url (the full transcriptions URL), api_key, model_name,
// language (omit or "auto" to let the API detect it), timeout (seconds, default 30),
// max_seconds (longest utterance kept, default 60), ca_file (extra trusted CA, PEM).
#include <memory>
#include <string>

#include "providers/asr/asr.h"
#include "providers/provider_context.h"

namespace xz::net {
class HttpClient;
}

namespace xz::providers {

class OpenAiAsr : public AsrEngine {
 public:
  // Throws EngineConfigError naming the key (e.g. "base_url: missing").
  OpenAiAsr(const EngineConfig& cfg, ProviderContext& ctx);
  ~OpenAiAsr() override;

  boost::asio::awaitable<std::unique_ptr<AsrStream>> open() override;

  struct Settings;

 private:
  std::shared_ptr<const Settings> settings_;
  std::shared_ptr<net::HttpClient> http_;
  boost::asio::thread_pool* pool_;
};

}  // namespace xz::providers
