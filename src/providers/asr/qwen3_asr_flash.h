#pragma once
// Qwen3-ASR-Flash on DashScope (type `qwen3_asr_flash`), through its OpenAI-compatible
// chat completions: one POST per utterance with the WAV as a base64 data URL, the
// transcript in choices[0].message.content.
//
// Config keys (the reference's): api_key, base_url (default
// https://dashscope.aliyuncs.com/compatible-mode/v1; /chat/completions is appended),
// model_name (qwen3-asr-flash), enable_lid, enable_itn (true), language (unset = detect),
// context (recognition hints, sent as the system message). Ours: timeout (seconds,
// default 30), max_seconds (60), ca_file.
#include <memory>

#include "providers/asr/asr.h"
#include "providers/provider_context.h"

namespace xz::providers {

class OneShotRecognizer;

class Qwen3AsrFlash : public AsrEngine {
 public:
  // Throws EngineConfigError naming the key.
  Qwen3AsrFlash(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<std::unique_ptr<AsrStream>> open() override;

 private:
  std::shared_ptr<const OneShotRecognizer> recognizer_;
  std::size_t max_samples_;
};

}  // namespace xz::providers
