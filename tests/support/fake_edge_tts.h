#pragma once
// A local fake of Microsoft Edge's read-aloud speech service, speaking its protocol
// byte for byte (../shared/spec/cloud-speech-protocols.md §4): the upgrade with
// TrustedClientToken, ConnectionId and a Sec-MS-GEC checked against the fake's own clock
// (a wrong one gets 403 with the fake's Date, as Edge answers), speech.config then ssml
// text frames, and an answer of turn.start, response, binary audio frames with the
// 2-byte header, audio.metadata, the header-only end frame and turn.end.
//
// The audio is real MP3 (24 kHz, 48 kbit/s, as Edge sends): flite speaking the request's
// text, encoded by libmp3lame, unless the test sets its own. It runs on its own thread, over
// ws:// or wss:// (self-signed certificate for 127.0.0.1), and records every request.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xz::test {

struct FakeEdgeRequest {
  std::map<std::string, std::string> query;    // of the upgrade
  std::map<std::string, std::string> headers;  // of the upgrade, lower-case names
  std::string speech_config;                   // the first text frame, as received
  std::string ssml;                            // the second text frame, as received
  // From the SSML: the voice's long name, the prosody, the text (XML-unescaped).
  std::string voice, rate, pitch, volume, text;
  int connection = 0;  // 1-based
};

enum class FakeEdgeFault {
  none,
  forbidden,               // the upgrade gets 403 (with Date), whatever the token
  close_before_turn_end,   // half the audio, then the connection is dropped
  no_audio,                // turn.start, response, turn.end: no audio at all
  unknown_path,            // a text frame with a path Edge does not have
  stall,                   // turn.start, then nothing until the client leaves
  garbage_audio,           // audio/mpeg frames holding bytes that are not MP3
};

struct FakeEdgeOptions {
  bool tls = false;
  // The fake's clock is this far ahead of the machine's: tokens made with the machine's
  // clock are refused (403 with the fake's Date) until the client corrects itself.
  std::chrono::seconds clock_offset{0};
};

class FakeEdgeTts {
 public:
  explicit FakeEdgeTts(FakeEdgeOptions opts = {});
  ~FakeEdgeTts();
  FakeEdgeTts(const FakeEdgeTts&) = delete;
  FakeEdgeTts& operator=(const FakeEdgeTts&) = delete;

  // ws[s]://127.0.0.1:PORT/consumer/speech/synthesize/readaloud/edge/v1
  std::string url() const;
  // TLS mode: the certificate to trust, and a PEM file holding it (for ca_file).
  const std::string& ca_pem() const;
  std::string ca_file() const;

  // What every answer carries instead of flite's speech of the text (MP3 bytes).
  void set_audio(std::string mp3);
  // Audio frames of this many MP3 bytes, this far apart (default 2048 bytes, no pause).
  void set_chunking(std::size_t bytes, std::chrono::milliseconds interval);
  // The next `connections` connections misbehave so.
  void fail_next(FakeEdgeFault fault, int connections = 1);

  std::vector<FakeEdgeRequest> requests() const;
  std::size_t upgrades_refused() const;  // 403s sent
  // When the latest answer's first and last audio frames had been written.
  std::optional<std::chrono::steady_clock::time_point> first_audio_sent() const;
  std::optional<std::chrono::steady_clock::time_point> last_audio_sent() const;
  // Waits until `n` connections have ended (the client closed or left).
  bool wait_for_closed_connections(std::size_t n, std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace xz::test
