#pragma once
// Local fakes of the one-shot cloud ASR vendors, on the server's own HTTP/WebSocket
// listener (net::HttpServer) on 127.0.0.1 (ephemeral port, own thread), each speaking its
// vendor's wire format: DashScope's compatible-mode chat completions (qwen3-asr-flash),
// the FunASR runtime server's WebSocket, Tencent Cloud's SentenceRecognition (TC3
// signature verified), Baidu's OAuth token and vop server_api, Aliyun NLS CreateToken
// (POP signature verified) and one-sentence recognition, Volcengine's v2 ASR WebSocket
// (binary gzip frames, Bearer; token). Each checks the credentials,
// decodes the audio it was sent (kept for the test) and answers the transcript set, or
// misbehaves as told.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::test {

struct FakeAsrCall {
  std::string vendor;  // "qwen3", "fun_server", "tencent", "baidu_token", "baidu", "aliyun_token", "aliyun", "doubao"
  std::string method, path;
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  nlohmann::json json;                      // the JSON body (FunASR: the first text message), else null
  std::vector<nlohmann::json> messages;     // FunASR: every text message, in order
  std::vector<std::int16_t> pcm;            // the audio as the fake decoded it
  int sample_rate = 0;                      // as the request declared it (0 = not declared)
  bool auth_ok = false;                     // credentials / signature accepted
};

enum class FakeAsrFault {
  none,
  vendor_error,  // the vendor's own error answer (its status and body)
  http_500,      // 500 with a plain body
  stall,         // no answer until set_stall's delay has passed
  drop,          // WebSocket vendors: the connection is dropped without an answer
};

// FunASR server profiles (cloud-speech-protocols.md §1.5).
enum class FakeFunAsrProfile {
  two_pass,      // C++ 2pass: is_final:false parts, then one is_final:true
  offline_cpp,   // C++ offline: one is_final:false answer (the client waits for its timeout)
};

struct FakeAsrKeys {
  static constexpr const char* qwen3 = "sk-qwen-test";
  static constexpr const char* tencent_id = "AKIDfakeasrtencent";
  static constexpr const char* tencent_key = "tencent-asr-secret";
  static constexpr const char* baidu_api_key = "baidu-api-key";
  static constexpr const char* baidu_secret = "baidu-secret-key";
  static constexpr const char* aliyun_key_id = "LTAIfakeasrkey";
  static constexpr const char* aliyun_key_secret = "aliyun-asr-secret";
  static constexpr const char* aliyun_appkey = "fake-appkey";
  static constexpr const char* doubao_appid = "3958123";
  static constexpr const char* doubao_token = "doubao-asr-token";
};

class FakeAsrVendors {
 public:
  FakeAsrVendors();
  ~FakeAsrVendors();
  FakeAsrVendors(const FakeAsrVendors&) = delete;
  FakeAsrVendors& operator=(const FakeAsrVendors&) = delete;

  // A vendor's endpoint here, as the engine's endpoint key takes it: "qwen3" (the
  // compatible-mode base URL), "fun_server" (ws://), "tencent", "baidu", "baidu_token",
  // "aliyun", "aliyun_token", "doubao" (ws://). Doubao: an empty transcript answers 1013
  // (no speech); its messages are the request JSON, then {"bytes", "last"} per audio frame.
  std::string url(std::string_view vendor) const;
  std::uint16_t port() const;

  // What every vendor answers (default "今天天气怎么样").
  void set_transcript(std::string text);
  // FunASR: the answer in these pieces (the last one is_final:true in the two_pass
  // profile); default one piece, the transcript.
  void set_funasr_pieces(std::vector<std::string> pieces);
  void set_funasr_profile(FakeFunAsrProfile profile);
  // The next request misbehaves so (for a stall, for this long; default 3 s).
  void fail_next(FakeAsrFault fault, std::chrono::milliseconds stall = std::chrono::seconds(3));
  // Tokens issued from now on expire this many seconds after issue (Baidu expires_in,
  // Aliyun ExpireTime); default 30 days.
  void set_token_lifetime(std::int64_t seconds);
  // Every token issued so far stops being accepted (Baidu answers err_no 3302, Aliyun 403).
  void revoke_tokens();

  std::vector<FakeAsrCall> calls() const;
  std::vector<FakeAsrCall> calls(std::string_view vendor) const;
  FakeAsrCall last_call(std::string_view vendor) const;  // throws std::logic_error when there is none

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace xz::test
