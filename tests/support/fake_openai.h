#pragma once
// A local, protocol-faithful fake of the OpenAI HTTP API for tests: streamed and plain
// chat completions (with tool calls), /audio/transcriptions and /audio/speech. It runs
// on its own thread and io_context on 127.0.0.1 (ephemeral port), optionally over TLS
// with a self-signed certificate made at start-up, and records every request.
//
//   FakeOpenAi fake;                       // url() = "http://127.0.0.1:PORT/v1"
//   fake.push_reply({.tokens = {"Hel", "lo"}});
//   ... point an engine at fake.url() ...
//   EXPECT_EQ(fake.last_request().json["model"], "gpt-4o-mini");
//
// Without a scripted reply, chat echoes the last user message word by word.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::test {

struct FakeToolCall {
  std::string id{};         // "" = "call_<n>"
  std::string name{};
  std::string arguments{};  // JSON text; streamed in small fragments, as OpenAI does
};

struct FakeReply {
  std::vector<std::string> tokens{};  // content deltas, in order
  std::vector<FakeToolCall> tool_calls{};
  int http_status = 200;
  std::string error_body{};  // body of a non-200 answer; "" = an OpenAI-style error JSON
  bool hang = false;       // read the request, then send nothing until the client leaves
  bool drop_mid_stream = false;  // close the socket after half of the tokens
  bool omit_done = false;  // end the body cleanly, but with no finish_reason and no [DONE]
  std::chrono::milliseconds first_token_delay{0};
  std::chrono::milliseconds token_interval{0};
};

struct FakeRequest {
  std::string method;
  std::string target;  // as sent
  std::string path;    // without the query
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  nlohmann::json json;  // the body when it is JSON, else null
  std::map<std::string, std::string> form;  // multipart text fields
  std::string file;                         // multipart `file` part
  std::string file_name;
  std::string file_type;
  int connection = 0;  // 1-based number of the TCP connection it came on
};

// How an /audio/speech answer goes wrong after `after_chunks` chunks of its body.
enum class FakeSpeechFault {
  none,
  drop,   // the connection is closed mid-body
  stall,  // nothing more is sent until the client gives up
};

struct FakeOpenAiOptions {
  bool tls = false;
};

class FakeOpenAi {
 public:
  explicit FakeOpenAi(FakeOpenAiOptions opts = {});
  ~FakeOpenAi();
  FakeOpenAi(const FakeOpenAi&) = delete;
  FakeOpenAi& operator=(const FakeOpenAi&) = delete;

  // Base URL with "/v1" (http:// or https://). Any path prefix is accepted: only the
  // endpoint suffix (/chat/completions, /audio/...) is matched.
  std::string url() const;
  std::uint16_t port() const;
  // TLS mode: the self-signed certificate (SAN 127.0.0.1 and localhost) to trust.
  const std::string& ca_pem() const;

  // Chat: scripted replies, used in order; then the default reply.
  void push_reply(FakeReply reply);
  void set_default_reply(std::function<FakeReply(const nlohmann::json& request)> fn);

  // /audio/transcriptions answers {"text": transcript}. Default "hello".
  void set_transcript(std::string text);
  // /audio/speech answers this 24 kHz mono PCM encoded in the requested response_format
  // (pcm, wav, mp3, opus, aac or flac, made by real encoders); unset = flite speech of the
  // input text, resampled to 24 kHz. The body is streamed in chunks.
  void set_speech(std::vector<std::int16_t> pcm24k);
  void set_speech_chunking(std::size_t chunk_bytes, std::chrono::milliseconds interval);
  // These bytes as the body of every speech answer, whatever the format (garbage audio).
  void set_speech_body(std::string bytes);
  void set_speech_fault(FakeSpeechFault fault, std::size_t after_chunks);
  // When each chunk of the latest speech answer was written to the socket.
  std::vector<std::chrono::steady_clock::time_point> speech_chunk_times() const;

  // The next request (any endpoint) is answered with this status and body instead.
  void fail_next(int status, std::string body = {});

  // Observations; safe from any thread.
  std::vector<FakeRequest> requests() const;
  std::size_t request_count() const;
  FakeRequest last_request() const;  // throws std::logic_error when there is none
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;
  std::size_t connections_accepted() const;
  std::size_t open_connections() const;
  // Responses the client abandoned (closed the connection) before they ended.
  std::size_t client_disconnects() const;
  bool wait_for_client_disconnects(std::size_t n, std::chrono::milliseconds timeout) const;
  // When each content token of the latest chat stream was written to the socket.
  std::vector<std::chrono::steady_clock::time_point> token_send_times() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Builds a 44-byte-header PCM WAV (16-bit, mono) and reads one back (tests of uploads).
std::string make_wav(const std::vector<std::int16_t>& pcm, int sample_rate);
struct ParsedWav {
  int sample_rate = 0;
  int channels = 0;
  int bits = 0;
  std::vector<std::int16_t> samples;
};
ParsedWav parse_wav(const std::string& bytes);  // throws std::runtime_error

}  // namespace xz::test
