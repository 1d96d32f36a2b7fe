#pragma once
// Tencent Cloud one-sentence recognition (type `tencent`): SentenceRecognition of ASR API
// 2019-06-14, one POST per utterance signed with TC3-HMAC-SHA256, the PCM in base64; the
// transcript is Response.Result, a failure Response.Error's code and message.
//
// Config keys (the reference's): secret_id, secret_key (required), appid (not sent, as in
// the reference). Ours: region (X-TC-Region, default ap-shanghai as the reference sends),
// eng_service_type (the recognition model, default 16k_zh), endpoint (default
// https://asr.tencentcloudapi.com; the request is still signed for and sent with Host
// asr.tencentcloudapi.com, as Tencent checks it), timeout (seconds, 30), max_seconds (60;
// the API takes at most 60 s), ca_file.
#include <memory>

#include "providers/asr/asr.h"
#include "providers/provider_context.h"

namespace xz::providers {

class OneShotRecognizer;

class TencentAsr : public AsrEngine {
 public:
  // Throws EngineConfigError naming the key.
  TencentAsr(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<std::unique_ptr<AsrStream>> open() override;

 private:
  std::shared_ptr<const OneShotRecognizer> recognizer_;
  std::size_t max_samples_;
};

}  // namespace xz::providers
