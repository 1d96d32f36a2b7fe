#pragma once
// Tencent Cloud's TextToVoice (type `tencent`): one POST per sentence signed with
// TC3-HMAC-SHA256; the JSON answer carries the audio in base64.
//
// Config keys (the reference's): secret_id and secret_key (required), region (default
// ap-guangzhou), voice (the VoiceType number, default 101001; private_voice wins),
// appid (not sent, as in the reference), format (of the audio, default wav). Ours:
// endpoint (default https://tts.tencentcloudapi.com; the request is still signed for
// and sent with Host tts.tencentcloudapi.com, as Tencent checks it), timeout (seconds,
// 30), ca_file.
#include <ctime>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "providers/tts/http_speech.h"
#include "providers/tts/tts.h"

namespace xz::providers {

// Tencent Cloud API 3.0's Authorization header for a POST to "/" with no query, signing
// the content-type and host headers:
// "TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=content-type;host, Signature=<hex>".
std::string tc3_authorization(std::string_view secret_id, std::string_view secret_key, std::string_view service,
                              std::string_view host, std::string_view content_type, std::string_view payload,
                              std::time_t timestamp);

class TencentTts : public TtsEngine {
 public:
  TencentTts(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

 private:
  HttpTtsClient http_;
  std::string url_, secret_id_, secret_key_, region_;
  long long voice_ = 101001;
  audio::AudioFormat format_;
};

}  // namespace xz::providers
