#include "net/websocket.h"

#include <algorithm>
#include <cctype>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/container/static_vector.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "core/lazy_deque.h"
#include "net/tls_client.h"
#include "net/websocket_impl.h"
#include "net/ws_frame.h"
#include "net/ws_handshake.h"
#include "protocol/encoding.h"

namespace xz::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using ws::Opcode;

// A wss:// client connection: TLS over a Beast tcp_stream (its timeouts bound the
// handshakes), holding the context its TLS state was made from.
struct TlsTransport {
  TlsTransport(const asio::any_io_executor& ex, std::shared_ptr<ssl::context> ctx)
      : context(std::move(ctx)), stream(ex, *context) {}
  std::shared_ptr<ssl::context> context;
  ssl::stream<beast::tcp_stream> stream;
};

// Our own framing over the bare socket rather than Beast's websocket::stream: Beast keeps
// ~3 KiB per connection (a fixed frame buffer, its state, the read buffer it prepares
// when a read starts). Here an idle connection holds no buffer at all: it waits for the
// socket to become readable and only then reads.
struct WebSocket::Impl {
  using Transport = std::variant<tcp::socket, std::unique_ptr<TlsTransport>>;

  Impl(Transport t, WsAdoptOptions& o)
      : transport(std::move(t)),
        rx(std::move(o.already_read)),
        remote_ip(std::move(o.remote_ip)),
        max_message_bytes(o.max_message_bytes),
        max_queued_bytes(o.max_queued_bytes),
        close_flush_timeout(o.close_flush_timeout),
        connection_slot(std::move(o.connection_slot)),
        client(o.role == WsRole::client) {}

  // The bare socket (devices, ws:// clients) or TLS over one (wss:// clients).
  Transport transport;
  tcp::socket& socket() {
    if (auto* t = std::get_if<1>(&transport)) return (*t)->stream.next_layer().socket();
    return std::get<0>(transport);
  }
  TlsTransport* tls() {
    auto* t = std::get_if<1>(&transport);
    return t ? t->get() : nullptr;
  }
  // Bounds the close handshake; made only while closing.
  std::unique_ptr<asio::steady_timer> close_timer;

  // Bytes read and not yet parsed, from rx_pos on. Released whenever all are parsed.
  std::string rx;
  std::size_t rx_pos = 0;

  struct Out {
    ws::EncodedHeader header;
    std::string payload;
    std::size_t bytes() const { return header.size + payload.size(); }
  };
  core::LazyDeque<Out> queue;
  // Every frame's bytes, headers and control frames included: all count against
  // max_queued_bytes.
  std::size_t queued_bytes = 0;
  // The answer to the latest ping, not yet handed to the writer. One at most: a newer
  // ping replaces its payload (RFC 6455 5.5.3), so a ping flood from a peer that does
  // not read holds one small frame, never a growing queue of pongs. A pointer: an idle
  // connection pays 8 bytes for it.
  std::unique_ptr<std::string> pending_pong;

  std::string remote_ip;
  std::string close_reason;
  std::uint16_t close_code = 1000;
  std::size_t max_message_bytes;
  std::size_t max_queued_bytes;
  std::chrono::milliseconds close_flush_timeout;
  std::shared_ptr<void> connection_slot;  // counts against the connection caps while open
  bool client;  // masks what it sends, expects unmasked frames
  bool writing = false;
  bool close_requested = false;  // a close frame follows the queued messages
  bool close_sent = false;
  bool close_received = false;
  bool fail_after_close = false;  // a protocol error: no need to wait for the peer's close
  bool closed = false;
  WsReadError read_error = WsReadError::none;
};

namespace {

using ImplPtr = std::shared_ptr<WebSocket::Impl>;

// A closing handshake the peer does not answer ends this long after our close frame.
constexpr auto kCloseAnswerTimeout = std::chrono::seconds(2);
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr std::size_t kMinReadBytes = 512;
constexpr std::size_t kMaxReadBytes = 64 * 1024;
constexpr std::size_t kMaxFramesPerWrite = 16;
constexpr std::size_t kTlsReadBytes = 16 * 1024;  // one TLS record at most
constexpr auto kTlsGoodbyeTimeout = std::chrono::seconds(2);

// A frame ready for the send queue (masked when we are the client).
WebSocket::Impl::Out make_frame(const WebSocket::Impl& s, Opcode op, std::string payload) {
  WebSocket::Impl::Out out;
  if (s.client) {
    ws::MaskKey key;
    auto random = protocol::random_bytes(key.size());
    std::copy(random.begin(), random.end(), key.begin());
    out.header = ws::encode_frame_header(op, true, payload.size(), &key);
    ws::apply_mask(payload, key, 0);
  } else {
    out.header = ws::encode_frame_header(op, true, payload.size());
  }
  out.payload = std::move(payload);
  return out;
}

// Appends a frame to the send queue, past the bound: only the close frame is queued so
// (it must go out for the close to be clean, and there is one per connection).
void push_frame(WebSocket::Impl& s, Opcode op, std::string payload) {
  auto out = make_frame(s, op, std::move(payload));
  s.queued_bytes += out.bytes();
  s.queue.push_back(std::move(out));
}

// A pong's bytes on the wire: a 2-byte header (its payload is at most 125 bytes), plus
// the mask key when we are the client.
std::size_t pong_bytes(const WebSocket::Impl& s, const std::string& payload) {
  return 2 + (s.client ? 4 : 0) + payload.size();
}

void drop_pending_pong(WebSocket::Impl& s) {
  if (!s.pending_pong) return;
  s.queued_bytes -= pong_bytes(s, *s.pending_pong);
  s.pending_pong.reset();
}

void shut(WebSocket::Impl& s) {
  s.closed = true;
  drop_pending_pong(s);
  beast::error_code ignored;
  s.socket().shutdown(tcp::socket::shutdown_both, ignored);
  s.socket().close(ignored);
  s.connection_slot.reset();
  if (s.close_timer) s.close_timer->cancel();
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string p;
  p += static_cast<char>(code >> 8);
  p += static_cast<char>(code & 0xFF);
  p += reason.substr(0, 123);  // a control frame carries at most 125 bytes
  return p;
}

// Replaces any earlier bound.
void arm_close_timer(const ImplPtr& s, std::chrono::steady_clock::duration bound) {
  s->close_timer = std::make_unique<asio::steady_timer>(s->socket().get_executor(), bound);
  s->close_timer->async_wait([weak = std::weak_ptr<WebSocket::Impl>(s)](const beast::error_code& ec) {
    auto s = weak.lock();
    if (ec || !s || s->closed) return;
    shut(*s);
  });
}

asio::awaitable<void> say_tls_goodbye(ImplPtr s) {
  auto* tls = s->tls();
  tls->stream.next_layer().expires_after(kTlsGoodbyeTimeout);
  // A peer that closes without its own close_notify changes nothing here.
  co_await tls->stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
  beast::error_code ignored;
  s->socket().close(ignored);
}

// Both close frames are exchanged and no write is in flight: the connection ends. Over
// TLS it says close_notify first (bounded), so the peer sees a clean end of the stream
// rather than a truncated one.
void finish(const ImplPtr& s) {
  if (!s->tls() || s->closed) {
    shut(*s);
    return;
  }
  s->closed = true;
  if (s->close_timer) s->close_timer->cancel();
  asio::co_spawn(s->socket().get_executor(), say_tls_goodbye(s), asio::detached);
}

asio::awaitable<void> write_loop(ImplPtr s) {
  while (!s->closed) {
    if (s->fail_after_close && !s->close_sent) {
      s->queue.clear();  // the peer broke the protocol: its close frame goes out now
      s->queued_bytes = 0;
      s->pending_pong.reset();
    }
    if (s->pending_pong && !s->close_sent) {
      // Ahead of the data: the peer is waiting for it, and it is one small frame.
      auto out = make_frame(*s, Opcode::pong, std::move(*s->pending_pong));
      s->pending_pong.reset();
      s->queue.push_front(std::move(out));  // its bytes were counted when it was set
    }
    if (s->queue.empty()) {
      if (!s->close_requested || s->close_sent) break;
      push_frame(*s, Opcode::close, close_payload(s->close_code, s->close_reason));
      s->close_sent = true;
    }
    boost::container::static_vector<asio::const_buffer, 2 * kMaxFramesPerWrite> buffers;
    std::size_t frames = 0;
    for (const auto& out : s->queue) {
      if (frames == kMaxFramesPerWrite) break;
      auto header = out.header.view();
      buffers.push_back(asio::buffer(header.data(), header.size()));
      if (!out.payload.empty()) buffers.push_back(asio::buffer(out.payload));
      ++frames;
    }
    beast::error_code ec;
    if (auto* tls = s->tls()) {
      auto [e, n] = co_await asio::async_write(tls->stream, buffers, asio::as_tuple(asio::use_awaitable));
      ec = e;
    } else {
      auto [e, n] = co_await asio::async_write(s->socket(), buffers, asio::as_tuple(asio::use_awaitable));
      ec = e;
    }
    for (std::size_t i = 0; i < frames && !s->queue.empty(); ++i) {
      s->queued_bytes -= s->queue.front().bytes();
      s->queue.pop_front();
    }
    if (ec) {
      shut(*s);
      break;
    }
  }
  bool handshake_done = false;
  if (s->close_sent && !s->closed) {
    if (s->fail_after_close) {
      shut(*s);  // the peer broke the protocol
    } else if (s->close_received) {
      handshake_done = true;  // both close frames exchanged
    } else {
      arm_close_timer(s, kCloseAnswerTimeout);  // the reader sees the peer's close frame
    }
  }
  if (s->closed) {
    shut(*s);  // the reader may have ended the connection while a write was in flight
    s->queue.clear();
    s->queued_bytes = 0;
  }
  s->queue.shrink_to_fit();  // drained: an idle connection holds no queue block
  s->writing = false;
  if (handshake_done) finish(s);
}

void start_writer(const ImplPtr& s) {
  if (s->writing) return;
  s->writing = true;  // set before the coroutine runs so a second send does not spawn twice
  asio::co_spawn(s->socket().get_executor(), write_loop(s), asio::detached);
}

// A close frame follows what is queued. The whole close is bounded: a peer that stopped
// reading would otherwise hold the connection forever behind a blocked write.
void request_close(const ImplPtr& s, std::uint16_t code, std::string reason) {
  s->close_requested = true;
  s->close_code = code;
  s->close_reason = std::move(reason);
  arm_close_timer(s, s->close_flush_timeout);
  start_writer(s);
}

WsReadError classify(const beast::error_code& ec) {
  if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
      ec == asio::error::bad_descriptor || ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated)
    return WsReadError::closed;
  if (ec == asio::error::timed_out) return WsReadError::timeout;
  return WsReadError::protocol;
}

// The connection ended under the reader (EOF, reset, closed by us).
std::optional<WsMessage> end_read(WebSocket::Impl& s, WsReadError why) {
  if (s.read_error == WsReadError::none) s.read_error = why;
  if (!s.closed && !s.writing) shut(s);
  s.closed = true;
  return std::nullopt;
}

// The peer broke the protocol: tell it why in a close frame, then drop the connection.
std::optional<WsMessage> fail_protocol(const ImplPtr& s, std::string_view why, std::uint16_t code = 1002) {
  spdlog::debug("websocket {}: protocol error: {}", s->remote_ip, why);
  s->read_error = WsReadError::protocol;
  if (!s->closed && !s->close_sent) {
    s->fail_after_close = true;
    request_close(s, code, std::string(why));
  } else if (!s->closed && !s->writing) {
    shut(*s);
  }
  return std::nullopt;
}

// Reads what the socket holds into rx. False when the connection ended (read_error says why).
bool read_available(WebSocket::Impl& s) {
  beast::error_code ec;
  const std::size_t want = std::clamp<std::size_t>(s.socket().available(ec), kMinReadBytes, kMaxReadBytes);
  const std::size_t old = s.rx.size();
  s.rx.resize(old + want);
  const std::size_t n = s.socket().read_some(asio::buffer(s.rx.data() + old, want), ec);
  s.rx.resize(old + n);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return true;
  if (ec) {
    end_read(s, classify(ec));
    return false;
  }
  return true;
}

// Before waiting: drop what was parsed, and hold no buffer at all when nothing is left.
void compact(WebSocket::Impl& s) {
  if (s.rx_pos == s.rx.size()) {
    std::string().swap(s.rx);
    s.rx_pos = 0;
  } else if (s.rx_pos > 0) {
    s.rx.erase(0, s.rx_pos);
    s.rx_pos = 0;
  }
}

std::size_t unread(const WebSocket::Impl& s) { return s.rx.size() - s.rx_pos; }

std::uint16_t close_code_of(std::string_view payload) {
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                    static_cast<std::uint8_t>(payload[1]));
}

// Handles a complete control frame. True when reading goes on.
bool on_control(const ImplPtr& s, Opcode op, std::string payload) {
  if (op == Opcode::ping) {
    if (s->close_requested || s->closed) return true;
    const std::size_t replaced = s->pending_pong ? pong_bytes(*s, *s->pending_pong) : 0;
    const std::size_t added = pong_bytes(*s, payload);
    if (s->queued_bytes - replaced + added > s->max_queued_bytes) {
      spdlog::warn("websocket {}: peer is not reading ({} bytes queued); closing", s->remote_ip, s->queued_bytes);
      shut(*s);  // the reader sees `closed` next
      return true;
    }
    s->queued_bytes = s->queued_bytes - replaced + added;
    if (s->pending_pong)
      *s->pending_pong = std::move(payload);
    else
      s->pending_pong = std::make_unique<std::string>(std::move(payload));
    start_writer(s);
    return true;
  }
  if (op == Opcode::pong) return true;
  // close
  s->close_received = true;
  const std::uint16_t code = payload.size() >= 2 ? close_code_of(payload) : 1000;
  if (s->read_error == WsReadError::none) s->read_error = WsReadError::closed;
  if (s->close_sent) {
    if (!s->writing) finish(s);  // else the writer finishes once our close frame is out
  } else if (!s->closed) {
    if (s->close_requested)
      start_writer(s);
    else
      request_close(s, code, {});  // the code echoed, as the RFC asks
  }
  return false;
}

// What one read() has assembled so far; it lives across waits for more bytes.
struct Assembly {
  WsMessage m;
  bool in_message = false;
  std::uint64_t total = 0;
  bool in_payload = false;  // inside a data frame's payload
  bool fin = false;
  bool masked = false;
  ws::MaskKey mask{};
  std::uint64_t left = 0;
  std::uint64_t offset = 0;
};

enum class Step { need_bytes, message, ended };

// Parses as far as rx allows. Data payloads are taken as they arrive, so only one read's
// worth is ever buffered besides the message itself.
Step assemble(const ImplPtr& s, Assembly& a) {
  for (;;) {
    if (s->closed) {
      end_read(*s, WsReadError::closed);
      return Step::ended;
    }
    if (a.in_payload) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(a.left, unread(*s)));
      if (n == 0 && a.left > 0) return Step::need_bytes;
      if (!a.m.oversize) {
        const std::size_t at = a.m.data.size();
        a.m.data.append(s->rx, s->rx_pos, n);
        if (a.masked) ws::apply_mask(std::span(a.m.data).subspan(at), a.mask, a.offset);
      }
      s->rx_pos += n;
      a.left -= n;
      a.offset += n;
      if (a.left > 0) return Step::need_bytes;
      a.in_payload = false;
      if (a.fin) {
        a.m.size = static_cast<std::size_t>(a.total);
        return Step::message;
      }
      continue;
    }

    auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(s->rx.data()) + s->rx_pos, unread(*s));
    auto parsed = ws::parse_frame_header(bytes);
    if (parsed.status == ws::ParseStatus::incomplete) return Step::need_bytes;
    if (parsed.status == ws::ParseStatus::invalid) {
      fail_protocol(s, parsed.error);
      return Step::ended;
    }
    const ws::FrameHeader& h = parsed.header;
    if (h.masked == s->client) {
      fail_protocol(s, s->client ? "masked frame from the server" : "unmasked frame from the client");
      return Step::ended;
    }

    if (ws::is_control(h.opcode)) {
      if (unread(*s) < h.header_bytes + h.payload_bytes) return Step::need_bytes;  // whole, at most 131 bytes
      std::string payload = s->rx.substr(s->rx_pos + h.header_bytes, h.payload_bytes);
      s->rx_pos += h.header_bytes + h.payload_bytes;
      if (h.masked) ws::apply_mask(payload, h.mask, 0);
      if (h.opcode == Opcode::close && payload.size() == 1) {
        fail_protocol(s, "one-byte close payload");
        return Step::ended;
      }
      if (h.opcode == Opcode::close && payload.size() >= 2 && !ws::is_valid_close_code(close_code_of(payload))) {
        fail_protocol(s, "invalid close code");
        return Step::ended;
      }
      if (!on_control(s, h.opcode, std::move(payload))) return Step::ended;
      continue;
    }

    if (h.opcode == Opcode::continuation && !a.in_message) {
      fail_protocol(s, "continuation without a message");
      return Step::ended;
    }
    if (h.opcode != Opcode::continuation && a.in_message) {
      fail_protocol(s, "new message inside a fragmented one");
      return Step::ended;
    }
    s->rx_pos += h.header_bytes;
    if (!a.in_message) {
      a.in_message = true;
      a.m.binary = h.opcode == Opcode::binary;
    }
    a.total += h.payload_bytes;
    if (a.total > s->max_message_bytes && !a.m.oversize) {
      a.m.oversize = true;  // skipped, not fatal: one bad message never costs the session
      std::string().swap(a.m.data);
    }
    a.in_payload = true;
    a.fin = h.fin;
    a.masked = h.masked;
    a.mask = h.mask;
    a.left = h.payload_bytes;
    a.offset = 0;
  }
}

asio::awaitable<std::optional<WsMessage>> read_message(ImplPtr s) {
  Assembly a;
  for (;;) {
    switch (assemble(s, a)) {
      case Step::message:
        co_return std::move(a.m);
      case Step::ended:
        co_return std::nullopt;
      case Step::need_bytes:
        break;
    }
    compact(*s);
    if (auto* tls = s->tls()) {
      // TLS hands over whole records: read into rx, holding a buffer while waiting,
      // which only the few wss:// client connections pay.
      const std::size_t old = s->rx.size();
      s->rx.resize(old + kTlsReadBytes);
      auto [ec, n] = co_await tls->stream.async_read_some(asio::buffer(s->rx.data() + old, kTlsReadBytes),
                                                          asio::as_tuple(asio::deferred));
      s->rx.resize(old + n);
      if (ec) {
        end_read(*s, classify(ec));
        co_return std::nullopt;
      }
      continue;
    }
    // `deferred`, not use_awaitable: no extra coroutine frame per wait, which every
    // idle connection would hold.
    auto [ec] = co_await s->socket().async_wait(tcp::socket::wait_read, asio::as_tuple(asio::deferred));
    if (ec) {
      end_read(*s, classify(ec));
      co_return std::nullopt;
    }
    if (!read_available(*s)) co_return std::nullopt;
  }
}

bool enqueue(const ImplPtr& s, Opcode op, std::string data) {
  if (s->closed || s->close_requested) return false;
  auto out = make_frame(*s, op, std::move(data));
  if (s->queued_bytes + out.bytes() > s->max_queued_bytes) {
    spdlog::warn("websocket {}: peer is not reading ({} bytes queued); closing", s->remote_ip, s->queued_bytes);
    shut(*s);
    return false;
  }
  s->queued_bytes += out.bytes();
  s->queue.push_back(std::move(out));
  start_writer(s);
  return true;
}

}  // namespace

std::shared_ptr<WebSocket> adopt_websocket(tcp::socket socket, WsAdoptOptions opts) {
  beast::error_code ec;
  socket.non_blocking(true, ec);  // reads happen once the socket is readable, never block
  return std::make_shared<WebSocket>(std::make_shared<WebSocket::Impl>(std::move(socket), opts));
}

WebSocket::WebSocket(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebSocket::~WebSocket() {
  if (impl_ && !impl_->closed && !impl_->writing) shut(*impl_);
}

asio::any_io_executor WebSocket::executor() const { return impl_->socket().get_executor(); }
std::string WebSocket::remote_ip() const { return impl_->remote_ip; }
WsReadError WebSocket::last_read_error() const { return impl_->read_error; }
bool WebSocket::is_open() const { return !impl_->closed && !impl_->close_requested; }
std::size_t WebSocket::queued_bytes() const { return impl_->queued_bytes; }
void WebSocket::set_max_message_bytes(std::size_t n) { impl_->max_message_bytes = n; }

asio::awaitable<std::optional<WsMessage>> WebSocket::read() { return read_message(impl_); }

bool WebSocket::send_text(std::string text) { return enqueue(impl_, Opcode::text, std::move(text)); }
bool WebSocket::send_binary(std::string bytes) { return enqueue(impl_, Opcode::binary, std::move(bytes)); }

void WebSocket::close(std::string reason) {
  const auto& s = impl_;
  if (s->closed || s->close_requested) return;
  request_close(s, 1000, std::move(reason));
}

void WebSocket::abort() { shut(*impl_); }

namespace {

// The URL for messages and logs: a query may carry a token.
std::string without_query(const boost::urls::url_view& u) {
  return std::string(u.scheme()) + "://" + std::string(u.encoded_host_and_port()) + std::string(u.encoded_path());
}

// The body of a refused upgrade, read within the stream's handshake deadline and cut at
// kMaxRefusalBodyBytes; whatever goes wrong reading it, the refusal itself is what matters.
template <class Stream>
asio::awaitable<std::string> read_refusal_body(Stream& stream, beast::flat_buffer& buffer,
                                               beast::http::response_parser<beast::http::empty_body>& header) {
  // Without a length the body runs to the end of the connection: not worth waiting for.
  constexpr std::uint64_t kMaxRead = 64 * 1024;
  const auto length = header.content_length();
  if (!header.chunked() && (!length || *length == 0 || *length > kMaxRead)) co_return std::string{};
  beast::http::response_parser<beast::http::string_body> parser(std::move(header));
  parser.body_limit(kMaxRead);
  auto [ec, n] = co_await beast::http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  (void)n;
  if (ec) co_return std::string{};
  std::string body = std::move(parser.get().body());
  if (body.size() > kMaxRefusalBodyBytes) body.resize(kMaxRefusalBodyBytes);
  co_return body;
}

// Sends the upgrade request over `stream` and checks the answer. Returns the bytes read
// past the answer's header: the first frames, when the server sent them at once.
template <class Stream>
asio::awaitable<std::string> upgrade(Stream& stream, const boost::urls::url_view& u, const std::string& shown,
                                     const WsClientOptions& opts) {
  std::string target = std::string(u.encoded_path());
  if (target.empty()) target = "/";
  if (u.has_query()) target += "?" + std::string(u.encoded_query());
  const std::string key = ws::make_client_key();
  const std::string request = ws::upgrade_request(std::string(u.encoded_host_and_port()), target, key, opts.headers);
  co_await asio::async_write(stream, asio::buffer(request), asio::use_awaitable);
  beast::flat_buffer buffer;
  beast::http::response_parser<beast::http::empty_body> parser;
  co_await beast::http::async_read_header(stream, buffer, parser, asio::use_awaitable);
  const auto& res = parser.get();
  ws::UpgradeResponse answer{static_cast<int>(res.result_int()),
                             std::string(res[beast::http::field::upgrade]),
                             std::string(res[beast::http::field::connection]),
                             std::string(res[beast::http::field::sec_websocket_accept]),
                             std::string(res[beast::http::field::sec_websocket_extensions])};
  if (auto why = ws::check_upgrade_response(answer, key)) {
    std::map<std::string, std::string> headers;
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      headers.emplace(std::move(name), std::string(field.value()));
    }
    std::string body;
    if (answer.status != 101) body = co_await read_refusal_body(stream, buffer, parser);
    throw WsHandshakeError("WebSocket handshake with " + shown + " failed: " + *why, answer.status,
                           std::move(headers), std::move(body));
  }
  co_return beast::buffers_to_string(buffer.data());
}

WsAdoptOptions client_adopt_options(const WsClientOptions& opts, std::string already_read, const tcp::socket& socket) {
  WsAdoptOptions adopt;
  adopt.role = WsRole::client;
  adopt.already_read = std::move(already_read);
  adopt.max_message_bytes = opts.max_message_bytes;
  adopt.max_queued_bytes = opts.max_queued_bytes;
  beast::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (!ec) adopt.remote_ip = ep.address().to_string();
  return adopt;
}

using Endpoints = tcp::resolver::results_type;

asio::awaitable<std::shared_ptr<WebSocket>> connect_plain(const Endpoints& endpoints, const boost::urls::url_view& u,
                                                          const std::string& shown, const WsClientOptions& opts) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(kHandshakeTimeout);
  co_await stream.async_connect(endpoints, asio::use_awaitable);
  stream.socket().set_option(tcp::no_delay(true));
  std::string already_read = co_await upgrade(stream, u, shown, opts);
  stream.expires_never();
  auto adopt = client_adopt_options(opts, std::move(already_read), stream.socket());
  co_return adopt_websocket(stream.release_socket(), std::move(adopt));
}

asio::awaitable<std::shared_ptr<WebSocket>> connect_tls(const Endpoints& endpoints, const boost::urls::url_view& u,
                                                        const std::string& host, const std::string& shown,
                                                        const WsClientOptions& opts) {
  auto context = opts.tls_context ? opts.tls_context
                                  : std::make_shared<ssl::context>(make_tls_client_context({}, {}, true));
  auto tls = std::make_unique<TlsTransport>(co_await asio::this_coro::executor, std::move(context));
  if (!name_tls_peer(tls->stream, host, true)) throw std::runtime_error("cannot set the TLS server name for " + shown);
  auto& tcp_stream = tls->stream.next_layer();
  tcp_stream.expires_after(kHandshakeTimeout);
  co_await tcp_stream.async_connect(endpoints, asio::use_awaitable);
  tcp_stream.socket().set_option(tcp::no_delay(true));
  auto [hec] = co_await tls->stream.async_handshake(ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
  if (hec) throw std::runtime_error("TLS handshake with " + shown + " failed: " + hec.message());
  std::string already_read = co_await upgrade(tls->stream, u, shown, opts);
  tcp_stream.expires_never();
  auto adopt = client_adopt_options(opts, std::move(already_read), tcp_stream.socket());
  co_return std::make_shared<WebSocket>(std::make_shared<WebSocket::Impl>(std::move(tls), adopt));
}

}  // namespace

asio::awaitable<std::shared_ptr<WebSocket>> ws_connect(std::string url, WsClientOptions opts) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw std::runtime_error("invalid WebSocket URL");
  const boost::urls::url_view u = *parsed;
  const bool secure = u.scheme() == "wss";
  const std::string shown = without_query(u);
  if (!secure && u.scheme() != "ws") throw std::runtime_error("not a ws:// or wss:// URL: " + shown);
  const std::string host = u.host();
  const std::string port = u.has_port() ? std::string(u.port()) : secure ? "443" : "80";

  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto endpoints = co_await resolver.async_resolve(host, port, asio::use_awaitable);
  std::shared_ptr<WebSocket> ws;
  if (secure)
    ws = co_await connect_tls(endpoints, u, host, shown, opts);
  else
    ws = co_await connect_plain(endpoints, u, shown, opts);
  co_return ws;
}

}  // namespace xz::net
