#include "providers/tts/tencent_tts.h"

#include <fmt/format.h>

#include "protocol/encoding.h"
#include "providers/tts/json_audio_body.h"
#include "providers/tts/speech_output.h"
#include "providers/tts/tts_config.h"
#include "providers/tts/tts_vendor_json.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

constexpr std::string_view kHost = "tts.tencentcloudapi.com";
constexpr std::string_view kContentType = "application/json";

std::string sha256_hex(std::string_view s) { return protocol::hex_encode(protocol::sha256(s)); }

std::string utc_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

// A version-4 UUID in its text form, as the reference's str(uuid.uuid4()).
std::string uuid4() {
  const std::string h = protocol::hex_encode(protocol::random_bytes(16));
  return fmt::format("{}-{}-4{}-{:x}{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(13, 3),
                     8 + (std::stoi(h.substr(16, 1), nullptr, 16) & 3), h.substr(17, 3), h.substr(20, 12));
}

}  // namespace

std::string tc3_authorization(std::string_view secret_id, std::string_view secret_key, std::string_view service,
                              std::string_view host, std::string_view content_type, std::string_view payload,
                              std::time_t timestamp) {
  const std::string date = utc_date(timestamp);
  const std::string canonical = fmt::format("POST\n/\n\ncontent-type:{}\nhost:{}\n\ncontent-type;host\n{}",
                                            content_type, host, sha256_hex(payload));
  const std::string scope = fmt::format("{}/{}/tc3_request", date, service);
  const std::string to_sign = fmt::format("TC3-HMAC-SHA256\n{}\n{}\n{}", timestamp, scope, sha256_hex(canonical));
  const std::string secret_date = protocol::hmac_sha256(fmt::format("TC3{}", secret_key), date);
  const std::string secret_service = protocol::hmac_sha256(secret_date, service);
  const std::string secret_signing = protocol::hmac_sha256(secret_service, "tc3_request");
  return fmt::format("TC3-HMAC-SHA256 Credential={}/{}, SignedHeaders=content-type;host, Signature={}", secret_id,
                     scope, protocol::hex_encode(protocol::hmac_sha256(secret_signing, to_sign)));
}

TencentTts::TencentTts(const EngineConfig& cfg, ProviderContext& ctx)
    : http_("Tencent TTS", (llm_config::require_mapping(cfg), cfg), ctx, 30) {
  url_ = tts_config::endpoint(cfg, {"endpoint"}, "https://tts.tencentcloudapi.com", {"https", "http"});
  secret_id_ = llm_config::opt_string(cfg, "secret_id").value_or("");
  secret_key_ = llm_config::opt_string(cfg, "secret_key").value_or("");
  if (secret_id_.empty()) throw EngineConfigError("secret_id: missing");
  if (secret_key_.empty()) throw EngineConfigError("secret_key: missing");
  region_ = llm_config::opt_string(cfg, "region").value_or("ap-guangzhou");
  const std::string voice = tts_config::voice(cfg, "voice", "101001");
  try {
    std::size_t used = 0;
    voice_ = std::stoll(voice, &used);
    if (used != voice.size()) throw std::invalid_argument(voice);
  } catch (const std::exception&) {
    throw EngineConfigError(fmt::format("voice: '{}' is not a VoiceType number", voice));
  }
  format_ = tts_config::audio_format(cfg, "format", "wav");
}

boost::asio::awaitable<void> TencentTts::synthesize(TtsRequest req, PcmSink sink) {
  if (is_blank(req.text)) co_return;
  const std::string body = json{{"Text", req.text}, {"SessionId", uuid4()}, {"VoiceType", voice_}}.dump();
  const std::time_t now = std::time(nullptr);
  HttpSpeech call{http_.request("POST", url_),
                  std::make_unique<JsonAudioBody>(tencent_audio_field, audio::make_audio_stream_decoder(format_, 16000))};
  call.request.headers = {{"Content-Type", std::string(kContentType)},
                          {"Host", std::string(kHost)},
                          {"Authorization", tc3_authorization(secret_id_, secret_key_, "tts", kHost, kContentType, body, now)},
                          {"X-TC-Action", "TextToVoice"},
                          {"X-TC-Timestamp", std::to_string(now)},
                          {"X-TC-Version", "2019-08-23"},
                          {"X-TC-Region", region_},
                          {"X-TC-Language", "zh-CN"}};
  call.request.body = body;
  co_await http_.speak(std::move(call), sink);
}

}  // namespace xz::providers
