#pragma once
// Local, protocol-faithful fakes of the streaming ASR vendors, each a WebSocket server on
// 127.0.0.1 (ephemeral port, own thread) speaking the vendor's real wire protocol:
//
//   doubao   Volcengine bigmodel "sauc" v3 (spec §2A): binary frames, gzip client
//            payloads, X-Api-* headers (a wrong one: 401 with X-Api-Status-Code/Message)
//   xunfei   Xunfei Spark iat (§6A-6B): the URL's HMAC-SHA256 signature checked (401 with
//            the vendor's message), JSON frames with base64 audio, append-only results
//   alibl    DashScope Paraformer real-time (§5D): Authorization: Bearer, run-task checked,
//            task-started, binary audio, result-generated, finish-task -> task-finished
//   aliyun   Aliyun NLS SpeechTranscriber (§5B), X-NLS-Token (403 otherwise); GET / is
//            CreateToken (§5A: the POP signature checked with the fake's secret)
//
// The fake checks credentials as the vendor does, answers the start at once, records the
// audio it receives, sends a partial result after every `packets_per_partial` audio
// packets (one more word of the script each time) and, `finalize_delay` after the
// client's end of audio, the final result with the whole script. Faults can be scripted
// per session. Everything received is recorded with its time.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::test {

enum class FakeAsrVendor { doubao, xunfei, alibl, aliyun };

enum class FakeAsrFault {
  none,
  error_at_start,  // the start is answered with the vendor's error
  silent_start,    // the start is never answered
  error_frame,     // after the first audio packet: the vendor's error
  drop,            // after the first audio packet: the socket is closed, no close handshake
  stall,           // after the first audio packet: nothing more, ever
  malformed,       // after the first audio packet: bytes that are not the protocol
};

struct FakeStreamAsrOptions {
  std::string app_id = "test-app";
  std::string token = "test-token";
  std::string resource_id = "volc.bigasr.sauc.duration";
  std::string secret = "test-secret";  // Xunfei api_secret (token: its api_key); Aliyun access_key_secret
  std::string key_id = "test-key-id";  // Aliyun access_key_id
  long long token_ttl_seconds = 86400;  // Aliyun: the ExpireTime CreateToken answers
  std::vector<std::string> script = {"你好", "世界"};
  int packets_per_partial = 3;
  std::chrono::milliseconds finalize_delay{20};
};

struct FakeAsrReceived {
  int connection = 0;  // 1-based
  std::string name;    // the vendor's name ("FullClientRequest", "status 2", ...), "Audio", "Close"
  nlohmann::json payload;
  std::chrono::steady_clock::time_point at;
};

class FakeStreamAsr {
 public:
  explicit FakeStreamAsr(FakeAsrVendor vendor, FakeStreamAsrOptions opts = {});
  ~FakeStreamAsr();
  FakeStreamAsr(const FakeStreamAsr&) = delete;
  FakeStreamAsr& operator=(const FakeStreamAsr&) = delete;

  // "ws://127.0.0.1:PORT/<vendor path>".
  std::string url() const;
  // Aliyun CreateToken's base URL ("http://127.0.0.1:PORT/"), and its answers.
  std::string token_url() const;
  int tokens_issued() const;
  int token_requests_refused() const;

  void fail_next_session(FakeAsrFault fault);

  std::vector<FakeAsrReceived> received() const;
  std::size_t count(const std::string& name) const;
  bool wait_for(const std::string& name, std::size_t n, std::chrono::milliseconds timeout) const;
  int connections() const;
  int refused_upgrades() const;
  std::vector<std::map<std::string, std::string>> upgrade_headers() const;  // lower-case names
  // The PCM bytes a connection received, in order (1-based).
  std::string audio(int connection) const;
  std::size_t partials_sent() const;
  // When the final result of a connection was written (1-based); epoch when none was.
  std::chrono::steady_clock::time_point final_sent_at(int connection) const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace xz::test
