#pragma once
// Local fakes of the HTTP TTS vendors the reference's users pick, on one server on
// 127.0.0.1 (ephemeral port, own thread), each under its own path and speaking its own
// wire format (../shared/spec/cloud-speech-protocols.md §7): SiliconFlow and Coze's
// OpenAI-like speech APIs, a Kokoro-style custom server, Fish Speech (MessagePack),
// GPT-SoVITS v2 (JSON POST) and v3 (GET query), MiniMax t2a_v2 (SSE-like lines with hex
// audio), Doubao v1 and Tencent TextToVoice (JSON with base64 audio; Tencent's TC3
// signature is verified), PaddleSpeech (streaming WebSocket and HTTP) and IndexTTS (raw
// PCM). Each checks its credentials, answers real audio in the format asked for (flite
// speaking the text, or what the test set), streamed in chunks, and can answer with its
// own error body, drop the connection mid-answer, stall, or send garbage.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::test {

struct FakeVendorCall {
  std::string vendor;  // as named for url()
  std::string method, target, path;
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  nlohmann::json json;  // the JSON body, or Fish Speech's MessagePack body as JSON
  std::vector<nlohmann::json> messages;  // PaddleSpeech's WebSocket text messages
};

enum class FakeVendorFault {
  none,
  vendor_error,   // the vendor's own error answer (status and body as it sends them)
  drop_mid_body,  // half the audio, then the connection is dropped
  stall,          // the answer starts, then nothing until the client leaves
  garbage_audio,  // a 200 whose audio is not audio
};

// The credentials the fakes accept.
struct FakeVendorKeys {
  static constexpr const char* siliconflow = "sf-test-token";
  static constexpr const char* coze = "pat_coze_test";
  static constexpr const char* fish = "fish-key";
  static constexpr const char* minimax_key = "mm-key";
  static constexpr const char* minimax_group = "1888";
  static constexpr const char* doubao_token = "doubao-token";
  static constexpr const char* tencent_id = "AKIDfaketencent";
  static constexpr const char* tencent_key = "tencent-secret-key";
  static constexpr const char* aliyun_appkey = "aliyun-appkey";
  static constexpr const char* aliyun_token = "aliyun-console-token";  // the console's token
  static constexpr const char* aliyun_key_id = "LTAIfakeKeyId";
  static constexpr const char* aliyun_key_secret = "aliyun-key-secret";
};

class FakeTtsVendors {
 public:
  FakeTtsVendors();
  ~FakeTtsVendors();
  FakeTtsVendors(const FakeTtsVendors&) = delete;
  FakeTtsVendors& operator=(const FakeTtsVendors&) = delete;

  // A vendor's endpoint on this server: "siliconflow", "custom", "fishspeech",
  // "gpt_sovits_v2", "gpt_sovits_v3", "minimax", "doubao", "cozecn", "tencent",
  // "paddle_http", "paddle_ws" (ws://), "index_stream", "aliyun" (NLS RESTful TTS),
  // "aliyun_token" (its CreateToken).
  std::string url(std::string_view vendor) const;

  // What every answer speaks instead of flite's speech of the text (resampled to the rate
  // the vendor answers at).
  void set_speech(std::vector<std::int16_t> pcm, int rate);
  // The answer in pieces of this many bytes (of the body, or of audio per message),
  // this far apart. Default 4096 bytes, no pause.
  void set_chunking(std::size_t bytes, std::chrono::milliseconds interval);
  // The next request (any vendor) misbehaves so.
  void fail_next(FakeVendorFault fault);
  // Aliyun: the lifetime of the tokens CreateToken hands out (default 1 h), and the
  // service forgetting every one handed out so far (its TTS then answers 401).
  void set_aliyun_token_lifetime(std::chrono::seconds lifetime);
  void revoke_aliyun_tokens();

  std::vector<FakeVendorCall> calls() const;
  FakeVendorCall last_call() const;  // throws std::logic_error when there is none
  // The source PCM and rate of the latest answer (what a client should decode).
  std::vector<std::int16_t> last_speech() const;
  int last_rate() const;
  // When the latest answer's first and last pieces of audio had been written.
  std::optional<std::chrono::steady_clock::time_point> first_piece_sent() const;
  std::optional<std::chrono::steady_clock::time_point> last_piece_sent() const;
  // Waits until `n` requests have been recorded (a WebSocket exchange is recorded once
  // its end signal arrived).
  bool wait_for_calls(std::size_t n, std::chrono::milliseconds timeout) const;
  // Waits until `n` connections have ended.
  bool wait_for_closed_connections(std::size_t n, std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace xz::test
