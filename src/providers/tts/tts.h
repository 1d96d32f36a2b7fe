#pragma once
// Text to speech. PCM leaves the engine in chunks as it is made, so the first frame
// can be encoded and sent before the sentence is fully synthesized.
//
// Sentence engines synthesize one segment at a time (synthesize). Dual-stream engines
// also take a reply's text while the LLM is still writing it (TtsStream): one vendor
// session per reply, over a vendor connection that a device session keeps between its
// replies (TtsStreamLink). Engines are shared by every session using the same
// configuration, so the connection lives in the link, never in the engine.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace xz::providers {

struct PcmChunk {
  std::vector<std::int16_t> samples;  // mono
  int sample_rate = 16000;
};

// Receives chunks on the caller's executor; returning false stops synthesis
// (the turn was cancelled).
using PcmSink = std::function<boost::asio::awaitable<bool>(PcmChunk)>;

struct TtsRequest {
  std::string text;
  std::string voice;     // "" = the engine's configured voice
  std::string language;  // BCP-47-ish hint, e.g. "en", "zh"
};

// What a streamed reply hands back, on the executor that runs it.
struct TtsStreamEvents {
  // PCM as the vendor sends it; false stops the stream (the reply was cancelled).
  PcmSink audio;
  // The vendor starts speaking a sentence it cut itself: its text, or "" when the
  // vendor names none. Optional; engines without sentence events never call it.
  std::function<void(std::string text)> sentence_start;
};

// A streamed reply failed: the vendor's error frame, a dropped connection, a stall past
// the engine's timeout, malformed audio. what() names the engine and the vendor's error.
struct TtsStreamError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One reply to a dual-stream engine. push_text/finish/cancel never wait; run() does the
// talking. Everything is called on the link's executor.
class TtsStream {
 public:
  virtual ~TtsStream() = default;
  // Queues a fragment of speech text (already cleaned), sent as soon as the vendor
  // session allows. Ignored after finish() or cancel().
  virtual void push_text(std::string fragment) = 0;
  // No more text: the vendor finishes the audio of what it has.
  virtual void finish() = 0;
  // Barge-in: the vendor is told at once (its cancel or finish message), run() returns
  // without delivering anything more. Late audio of this reply is dropped by the link.
  virtual void cancel() = 0;
  // Opens the vendor session when the first text arrives (a reply with no text costs
  // nothing), sends the text as it comes and delivers the audio. Returns after the
  // vendor's end of session (once finish() was called), at once after cancel() or
  // when events.audio returned false. Throws TtsStreamError on a fault; cancelling the
  // awaiting coroutine is a cancel().
  virtual boost::asio::awaitable<void> run(TtsStreamEvents events) = 0;
};

// One device session's side of a dual-stream engine, used on one executor: it keeps
// the vendor connection between replies (closed after the engine's idle bound, or with
// the link) and opens a stream per reply, one at a time.
class TtsStreamLink {
 public:
  virtual ~TtsStreamLink() = default;
  virtual std::unique_ptr<TtsStream> open_stream() = 0;
};

class TtsEngine {
 public:
  virtual ~TtsEngine() = default;
  // Synthesizes one segment. Throws std::runtime_error on engine failure. Cancelling
  // the awaiting coroutine stops the work as soon as the engine allows.
  virtual boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) = 0;
  // Dual-stream engines: a link for one device session on `ex`. nullptr (the default):
  // the engine is sentence-based and the pipeline segments the text for it.
  virtual std::unique_ptr<TtsStreamLink> open_stream_link(boost::asio::any_io_executor /*ex*/) { return nullptr; }
};

// For dual-stream engines' synthesize(): one segment over a link of its own (a fresh
// vendor connection, closed afterwards). Greetings and pushed text use it.
boost::asio::awaitable<void> synthesize_over_stream(TtsEngine& engine, TtsRequest req, PcmSink sink);

}  // namespace xz::providers
