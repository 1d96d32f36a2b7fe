#pragma once
// Volcengine's legacy v2 ASR used one-shot (type `doubao`), as the reference drives it
// (cloud-speech-protocols.md §2B): per utterance a new WebSocket with
// "Authorization: Bearer; <access_token>", the full request (gzip JSON) and its answer
// (code 1000 or 1013), the PCM in 15 s gzip segments (the last one flagged), then one
// answer: code 1000 -> result[0].text, 1013 (no speech) -> "", else an error.
//
// Config keys (the reference's): appid, access_token (required), cluster (default
// volcengine_input_common), boosting_table_name, correct_table_name (optional, "" = none).
// Ours: endpoint (default wss://openspeech.bytedance.com/api/v2/asr; ws:// accepted),
// timeout (seconds to wait for each answer, 10), connect_timeout (10), max_seconds (60),
// ca_file.
#include <memory>

#include "providers/asr/asr.h"
#include "providers/provider_context.h"

namespace xz::providers {

class OneShotRecognizer;

class DoubaoAsr : public AsrEngine {
 public:
  // Throws EngineConfigError naming the key.
  DoubaoAsr(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<std::unique_ptr<AsrStream>> open() override;

 private:
  std::shared_ptr<const OneShotRecognizer> recognizer_;
  std::size_t max_samples_;
};

}  // namespace xz::providers
