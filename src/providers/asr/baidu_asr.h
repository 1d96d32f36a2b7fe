#pragma once
// Baidu short-speech recognition (type `baidu`), as the reference's AipSpeech.asr calls
// it: an OAuth access token from the API key and secret key (client_credentials), kept
// until shortly before it expires and shared by every session, then one JSON POST per
// utterance to vop.baidu.com/server_api with the PCM in base64; the transcript is
// result[0], a failure err_no and err_msg.
//
// Config keys (the reference's): app_id (accepted, not sent: the token names the app),
// api_key, secret_key (required), dev_pid (the language model, default 1537 Mandarin). Ours:
// endpoint (default http://vop.baidu.com/server_api), token_url (default
// https://aip.baidubce.com/oauth/2.0/token), timeout (seconds, 30), max_seconds (60; the
// API takes at most 60 s), ca_file.
#include <memory>

#include "providers/asr/asr.h"
#include "providers/provider_context.h"

namespace xz::providers {

class OneShotRecognizer;

class BaiduAsr : public AsrEngine {
 public:
  // Throws EngineConfigError naming the key.
  BaiduAsr(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<std::unique_ptr<AsrStream>> open() override;

 private:
  std::shared_ptr<const OneShotRecognizer> recognizer_;
  std::size_t max_samples_;
};

}  // namespace xz::providers
