#pragma once
// Local, protocol-faithful fakes of the dual-stream TTS vendors, each on its own
// WebSocket server on 127.0.0.1 (ephemeral port, own thread), speaking the vendor's real
// wire protocol byte for byte:
//
//   huoshan   Volcengine bidirectional TTS: binary event frames (spec §3), X-Api-* headers
//   aliyun    Aliyun NLS FlowingSpeechSynthesizer (§5C), X-NLS-Token; GET / is CreateToken
//             (§5A: the POP signature is checked with the fake's secret)
//   alibl     DashScope CosyVoice duplex tasks (§5E), Authorization: Bearer; continue-task
//             before task-started fails the task, as the service does
//   xunfei    Xunfei super-human TTS (§6C), the URL's HMAC-SHA256 signature checked (§6A)
//
// The fake checks the credentials as the vendor does (a wrong one is refused at the
// upgrade with 401), accumulates each session's text and cuts it at punctuation (and,
// with speak_every_chars, after that many characters without any: a vendor that starts
// speaking before a sentence ends), answers each cut with its sentence events and a
// 440 Hz tone in several audio frames, and ends the session as the vendor does. Faults
// can be scripted per session. Everything it receives is recorded with its time.
//
//   FakeDuplexTts fake(FakeDuplexVendor::huoshan);
//   ... TTS.X.ws_url = fake.url() ...
//   EXPECT_TRUE(fake.wait_for("CancelSession", 1, 5s));
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::test {

enum class FakeDuplexVendor { huoshan, aliyun, alibl, xunfei };

enum class FakeTtsFault {
  none,
  error_frame,     // after the first audio frame: the vendor's error frame
  drop,            // after the first audio frame: the socket is closed, no close handshake
  stall,           // after the first audio frame: nothing more, ever
  malformed,       // after the first audio frame: bytes that are not the protocol
  session_failed,  // the session is refused at its start with the vendor's failure event
};

struct FakeDuplexOptions {
  // Credentials the fake expects. app_id: Huoshan appid, Aliyun appkey, Xunfei app_id;
  // token: Huoshan access_token, Aliyun NLS token (what CreateToken issues), DashScope
  // api_key, Xunfei api_key; key_id / secret: Aliyun access_key_id / access_key_secret,
  // Xunfei api_secret (secret).
  std::string app_id = "test-app";
  std::string token = "test-token";
  std::string resource_id = "volc.service_type.10029";
  std::string key_id = "test-key-id";
  std::string secret = "test-secret";
  long long token_ttl_seconds = 86400;  // Aliyun: the ExpireTime CreateToken answers
  // DashScope: task-started is sent this long after run-task.
  std::chrono::milliseconds start_ack_delay{30};
  // Also cut after this many characters with no punctuation (0: only at punctuation).
  std::size_t speak_every_chars = 0;
  std::chrono::milliseconds first_audio_delay{0};  // from a cut to its first audio frame
  std::chrono::milliseconds chunk_interval{0};     // between a cut's audio frames
  int ms_per_char = 80;                            // audio length per character spoken
  int chunk_ms = 100;                              // audio per frame
};

// One message the fake received: its vendor name ("StartSession", "TaskRequest", ...).
struct FakeTtsReceived {
  int connection = 0;  // 1-based
  std::string name;
  std::string session;
  std::string text;           // TaskRequest's text
  nlohmann::json payload;     // the parsed JSON payload, when there is one
  std::string raw;            // the message bytes as received
  std::chrono::steady_clock::time_point at;
};

class FakeDuplexTts {
 public:
  explicit FakeDuplexTts(FakeDuplexVendor vendor, FakeDuplexOptions opts = {});
  ~FakeDuplexTts();
  FakeDuplexTts(const FakeDuplexTts&) = delete;
  FakeDuplexTts& operator=(const FakeDuplexTts&) = delete;

  // The WebSocket URL an engine connects to ("ws://127.0.0.1:PORT/<vendor path>").
  std::string url() const;
  std::uint16_t port() const;

  // The next session (any connection) gets this fault.
  void fail_next_session(FakeTtsFault fault);

  std::vector<FakeTtsReceived> received() const;
  std::size_t count(const std::string& name) const;
  // Until `n` messages named `name` have arrived (or the timeout).
  bool wait_for(const std::string& name, std::size_t n, std::chrono::milliseconds timeout) const;
  int connections() const;             // upgrades accepted
  int refused_upgrades() const;        // upgrades refused (bad credentials)
  std::vector<std::map<std::string, std::string>> upgrade_headers() const;  // lower-case names
  // Audio frames sent, all sessions.
  std::size_t audio_frames_sent() const;
  // Sessions that ended with the vendor's normal end (after a finish).
  std::size_t sessions_finished() const;
  // Aliyun: CreateToken requests answered with a token, and refused.
  int tokens_issued() const;
  int token_requests_refused() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace xz::test
