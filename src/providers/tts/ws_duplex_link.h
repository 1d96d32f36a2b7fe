#pragma once
// What every WebSocket dual-stream TTS engine does the same way, around a vendor codec
// (DuplexProtocol): one device session's vendor connection, reused across its replies
// while idle less than the engine's bound and then closed; one vendor session per
// reply; a reader per connection that hands each message to the reply it belongs to
// (messages of an earlier, cancelled reply are dropped, and their end frees the
// connection); the stall timeout; back-pressure (the reader stops reading while a
// reply's undelivered audio is over a bound).
//
// A connection that failed, dropped, stalled or sent bytes the codec refused is closed
// and never reused; a reply started while the previous one is still being cancelled
// gets a new connection, as the reference does.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "net/websocket.h"
#include "providers/tts/tts.h"

namespace boost::asio::ssl {
class context;
}

namespace xz::providers {

struct WsOut {
  bool binary = false;
  std::string data;
};

struct DuplexTarget {
  std::string url;
  std::map<std::string, std::string> headers;
};

// One vendor message, as the codec understood it.
struct DuplexEvent {
  enum class Kind {
    none,      // nothing for the reply (acknowledgements, usage, unknown events)
    started,   // the vendor accepted the session
    audio,     // `audio` holds s16le mono PCM at sample_rate
    sentence,  // the vendor starts speaking a sentence; `text` when it names it
    finished,  // the session ended normally (or its cancellation was confirmed)
    failed,    // the session failed: `text` is the vendor's error
    closed,    // the vendor ends the connection
  };
  Kind kind = Kind::none;
  std::string session;  // "" = the session the connection is serving
  std::string audio;
  int sample_rate = 24000;
  std::string text;
  bool close_connection = false;  // failed: the connection is not usable afterwards
};

// One vendor's codec, owned by one link. Methods build the frames to send and read
// what arrives; they never do I/O except target(), which may fetch a token.
class DuplexProtocol {
 public:
  virtual ~DuplexProtocol() = default;
  // Where and how to connect (the URL may be signed; headers may carry a token).
  virtual boost::asio::awaitable<DuplexTarget> target() = 0;
  virtual std::vector<WsOut> start(const std::string& session) = 0;
  virtual std::vector<WsOut> text(const std::string& session, const std::string& fragment) = 0;
  virtual std::vector<WsOut> finish(const std::string& session) = 0;
  // Barge-in. Empty: the vendor has no cancel message; the connection is closed.
  virtual std::vector<WsOut> cancel(const std::string& session) = 0;
  // Sent before a connection is closed on purpose (idle, link closed); may be empty.
  virtual std::vector<WsOut> goodbye() { return {}; }
  // What one message means, in order (usually one event; none for what the reply
  // need not know). Throws (any std::exception) on a message that is not this protocol's.
  virtual std::vector<DuplexEvent> parse(const net::WsMessage& message) = 0;
};

struct DuplexOptions {
  std::string engine;  // the config type, for messages ("huoshan_double_stream")
  // No vendor message for this long while it owes us one: the reply fails.
  std::chrono::milliseconds timeout{15000};
  // A connection idle longer than this is closed; 0 = one connection per reply.
  std::chrono::milliseconds reuse_idle{0};
  // Text waits for the vendor's `started` (DashScope refuses text before task-started).
  bool text_after_started = false;
  std::shared_ptr<boost::asio::ssl::context> tls;  // wss://; null = the system's CAs
  std::size_t max_message_bytes = 4u << 20;
};

class WsDuplexLink : public TtsStreamLink {
 public:
  WsDuplexLink(boost::asio::any_io_executor ex, DuplexOptions opts, std::unique_ptr<DuplexProtocol> protocol);
  ~WsDuplexLink() override;
  std::unique_ptr<TtsStream> open_stream() override;

  // Vendor connections this link has opened (tests: reuse).
  std::size_t connections_opened() const;
  // Audio the open reply has received but not yet handed over (tests: the bound).
  std::size_t queued_audio_bytes() const;
  // The most a reply holds undelivered before the reader stops reading (~44 s at 24 kHz).
  static constexpr std::size_t kMaxQueuedAudioBytes = 2u << 20;

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

// 32 lowercase hex digits (uuid4().hex), and the dashed form.
std::string random_hex_id();
std::string random_uuid();

}  // namespace xz::providers
