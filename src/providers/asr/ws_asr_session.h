#pragma once
// What every WebSocket streaming ASR engine does the same way, around a vendor codec
// (AsrWireCodec): one vendor connection per utterance, opened in the background when the
// stream opens (open() and push() never wait for the network); audio queued until the
// vendor accepts the session, then sent as it comes; a reader that hands partial results
// to the pipeline and collects final sentences; finish() sends the vendor's end of audio
// and waits for its final answer within the engine's timeout. A stream destroyed before
// its final answer (barge-in, too short an utterance) tells the vendor where it has a
// message for that and closes the socket without waiting.
//
// Audio waiting for the vendor is bounded (kMaxPendingAudioBytes): past it the utterance
// fails rather than dropping its oldest audio, which would silently lose the start of
// what the user said; a vendor that slow fails the connect timeout anyway.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "net/websocket.h"
#include "providers/asr/asr.h"
#include "providers/tts/ws_duplex_link.h"

namespace boost::asio::ssl {
class context;
}

namespace xz::providers {

// One vendor message, as the codec understood it.
struct AsrWireEvent {
  enum class Kind {
    none,      // nothing the utterance needs (acknowledgements, unknown events)
    ready,     // the vendor accepted the session: audio may flow
    partial,   // `text`: the sentence being recognised, not final yet
    sentence,  // `text`: a final sentence (appended to the result)
    finished,  // the vendor's final answer after our end of audio
    failed,    // `text`: the vendor's error
  };
  Kind kind = Kind::none;
  std::string text;
};

// One utterance's codec (a fresh one per stream: some vendors number their frames).
// Methods build frames and read messages; only target() may do I/O (a token fetch).
class AsrWireCodec {
 public:
  virtual ~AsrWireCodec() = default;
  // Where and how to connect (the URL may be signed, headers may carry a token).
  virtual boost::asio::awaitable<DuplexTarget> target() = 0;
  // Sent once connected.
  virtual std::vector<WsOut> start() = 0;
  // Audio waits for the vendor's `ready` (false: it follows start() at once).
  virtual bool audio_waits_for_ready() const { return true; }
  // One packet of 16 kHz s16le mono PCM.
  virtual std::vector<WsOut> audio(std::string_view pcm) = 0;
  // End of audio: the vendor finalises and answers.
  virtual std::vector<WsOut> finish() = 0;
  // The utterance is dropped; sent before the socket closes (empty: none exists).
  virtual std::vector<WsOut> cancel() = 0;
  // What a message means, in order. Throws (any std::exception) on what is not this
  // protocol's; the utterance then fails.
  virtual std::vector<AsrWireEvent> parse(const net::WsMessage& message) = 0;
};

struct WsAsrOptions {
  std::string engine;  // the config type, for messages ("doubao_stream")
  // Connecting and the vendor's acceptance, and the final answer after finish().
  std::chrono::milliseconds timeout{10000};
  std::shared_ptr<boost::asio::ssl::context> tls;  // wss://; null = the system's CAs
  std::size_t max_message_bytes = 1u << 20;
};

// Audio queued before the vendor accepts (30 s at 16 kHz).
inline constexpr std::size_t kMaxPendingAudioBytes = 30u * 32000;
// The final text collected from the vendor's sentences.
inline constexpr std::size_t kMaxTranscriptBytes = 64u * 1024;

// Starts connecting at once on `ex` (the executor that awaits the stream).
std::unique_ptr<AsrStream> open_ws_asr_stream(boost::asio::any_io_executor ex, const WsAsrOptions& opts,
                                              std::unique_ptr<AsrWireCodec> codec);

}  // namespace xz::providers
