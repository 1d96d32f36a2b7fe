// net::WebSocket over real sockets. Its peer is Boost.Beast's websocket::stream, an
// independent implementation that rejects unmasked client frames, bad close codes and
// malformed frames, or a raw socket where a test must send what Beast never would.
#include "net/websocket.h"

#include <chrono>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/runtime.h"
#include "net/http_server.h"
#include "net/tls_client.h"
#include "net/websocket_impl.h"
#include "net/ws_frame.h"
#include "support/self_signed.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using xz::core::Task;
using xz::net::WebSocket;
using xz::net::WsReadError;

namespace {

// What the echo server saw; `ended` says how the first connection's reader ended.
struct ServerSide {
  std::mutex mu;
  std::vector<std::string> oversize;  // "binary 5000"
  std::promise<WsReadError> ended;
  bool ended_set = false;
  // Set when the text "mark" arrives (not echoed), with the connection it came on.
  std::promise<std::shared_ptr<WebSocket>> marked;
};

// Echoes every message with its type. "close:REASON" asks the server to close.
Task<void> echo(std::shared_ptr<WebSocket> ws, std::shared_ptr<ServerSide> side) {
  for (;;) {
    auto m = co_await ws->read();
    if (!m) break;
    if (m->oversize) {
      std::lock_guard lk(side->mu);
      side->oversize.push_back((m->binary ? "binary " : "text ") + std::to_string(m->size));
      continue;
    }
    if (!m->binary && m->data.rfind("close:", 0) == 0) {
      ws->close(m->data.substr(6));
      continue;
    }
    if (!m->binary && m->data == "mark") {  // not echoed: the test looks at the queue as the pings left it
      side->marked.set_value(ws);
      continue;
    }
    if (m->binary)
      ws->send_binary(std::move(m->data));
    else
      ws->send_text(std::move(m->data));
  }
  std::lock_guard lk(side->mu);
  if (!std::exchange(side->ended_set, true)) side->ended.set_value(ws->last_read_error());
}

class WebSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rt.start();
    xz::net::HttpServerOptions o;
    o.address = "127.0.0.1";
    o.max_ws_message_bytes = 200 * 1024;
    server = std::make_unique<xz::net::HttpServer>(rt, o, std::make_shared<xz::net::HttpRouter>());
    server->set_websocket_handler([this](std::shared_ptr<WebSocket> ws, xz::net::HttpRequest) {
      if (max_message_bytes) ws->set_max_message_bytes(max_message_bytes);
      auto ex = ws->executor();
      asio::co_spawn(ex, echo(std::move(ws), side), asio::detached);
    });
    server->start();
  }
  void TearDown() override { server->stop_accepting(); }

  tcp::endpoint endpoint() const { return {asio::ip::make_address("127.0.0.1"), server->port()}; }

  // A Beast client that has completed the handshake.
  std::unique_ptr<websocket::stream<tcp::socket>> beast_client() {
    auto ws = std::make_unique<websocket::stream<tcp::socket>>(client_io);
    ws->next_layer().connect(endpoint());
    ws->handshake("127.0.0.1", "/xiaozhi/v1/");
    return ws;
  }

  // How the server's reader ended, waiting at most `limit`.
  std::optional<WsReadError> server_end(std::chrono::milliseconds limit = 5000ms) {
    auto f = side->ended.get_future();
    if (f.wait_for(limit) != std::future_status::ready) return std::nullopt;
    return f.get();
  }

  xz::core::Runtime rt{1, 1};
  std::unique_ptr<xz::net::HttpServer> server;
  std::shared_ptr<ServerSide> side = std::make_shared<ServerSide>();
  std::size_t max_message_bytes = 0;
  asio::io_context client_io;
};

std::string read_message(websocket::stream<tcp::socket>& ws, bool* binary = nullptr) {
  beast::flat_buffer buf;
  ws.read(buf);
  if (binary) *binary = ws.got_binary();
  return beast::buffers_to_string(buf.data());
}

// A raw TCP peer: the handshake by hand, then frames built with the codec under test's
// spec (RFC 6455), so the test controls every byte.
struct RawPeer {
  asio::io_context io;
  tcp::socket socket{io};
  asio::streambuf in;

  // receive_buffer > 0: a small socket receive buffer, for a peer that does not read.
  explicit RawPeer(tcp::endpoint ep, int receive_buffer = 0) {
    socket.open(ep.protocol());
    if (receive_buffer > 0) socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    socket.connect(ep);
    socket.set_option(tcp::no_delay(true));
  }
  static std::string upgrade_request(std::string_view version = "13") {
    return "GET /xiaozhi/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: " +
           std::string(version) + "\r\n\r\n";
  }
  // The status line and headers of the server's answer.
  std::string read_answer() {
    asio::read_until(socket, in, "\r\n\r\n");
    std::string all(asio::buffers_begin(in.data()), asio::buffers_end(in.data()));
    auto end = all.find("\r\n\r\n") + 4;
    in.consume(end);
    return all.substr(0, end);
  }
  static std::string frame(xz::net::ws::Opcode op, std::string payload, bool masked = true, bool fin = true) {
    xz::net::ws::MaskKey key{0x11, 0x22, 0x33, 0x44};
    auto h = xz::net::ws::encode_frame_header(op, fin, payload.size(), masked ? &key : nullptr);
    if (masked) xz::net::ws::apply_mask(payload, key, 0);
    return std::string(h.view().begin(), h.view().end()) + payload;
  }
  void send(std::string_view bytes) { asio::write(socket, asio::buffer(bytes)); }
  // One unmasked frame from the server: opcode and payload.
  std::pair<xz::net::ws::Opcode, std::string> read_frame() {
    for (;;) {
      std::string have(asio::buffers_begin(in.data()), asio::buffers_end(in.data()));
      auto p = xz::net::ws::parse_frame_header(
          std::span(reinterpret_cast<const std::uint8_t*>(have.data()), have.size()));
      if (p.status == xz::net::ws::ParseStatus::invalid) throw std::runtime_error("invalid frame from the server");
      if (p.status == xz::net::ws::ParseStatus::ok && have.size() >= p.header.header_bytes + p.header.payload_bytes) {
        in.consume(p.header.header_bytes + p.header.payload_bytes);
        return {p.header.opcode, have.substr(p.header.header_bytes, p.header.payload_bytes)};
      }
      auto buf = in.prepare(4096);
      in.commit(socket.read_some(buf));
    }
  }
  bool at_eof() {
    beast::error_code ec;
    char c;
    socket.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
};

}  // namespace

TEST_F(WebSocketTest, EchoesTextAndBinaryOfEveryLengthFormToABeastClient) {
  auto ws = beast_client();
  ws->text(true);
  ws->write(asio::buffer(std::string("hello")));
  bool binary = true;
  EXPECT_EQ(read_message(*ws, &binary), "hello");
  EXPECT_FALSE(binary);

  for (std::size_t n : {0u, 3u, 126u, 70000u}) {
    std::string payload(n, '\0');
    for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<char>(i * 7);
    ws->binary(true);
    ws->write(asio::buffer(payload));
    EXPECT_EQ(read_message(*ws, &binary), payload) << n;
    EXPECT_TRUE(binary);
  }
}

TEST_F(WebSocketTest, ReassemblesAFragmentedMessageWithAPingInTheMiddle) {
  auto ws = beast_client();
  std::string pong;
  ws->control_callback([&pong](websocket::frame_type kind, std::string_view payload) {
    if (kind == websocket::frame_type::pong) pong = std::string(payload);
  });
  ws->text(true);
  ws->write_some(false, asio::buffer(std::string("Hel")));
  ws->ping("abc");  // control frames may come between fragments
  ws->write_some(false, asio::buffer(std::string("lo, ")));
  ws->write_some(true, asio::buffer(std::string("world")));
  EXPECT_EQ(read_message(*ws), "Hello, world");
  EXPECT_EQ(pong, "abc");
}

TEST_F(WebSocketTest, AClientCloseIsAnsweredAndEndsTheServersReader) {
  auto ws = beast_client();
  ws->close(websocket::close_reason(websocket::close_code::going_away, "bye"));  // waits for our answer
  EXPECT_EQ(ws->reason().code, websocket::close_code::going_away);  // the code is echoed
  EXPECT_EQ(server_end(), WsReadError::closed);
}

TEST_F(WebSocketTest, AServerCloseCarriesTheReasonAndEndsPromptlyWhenAnswered) {
  auto ws = beast_client();
  auto started = std::chrono::steady_clock::now();
  ws->text(true);
  ws->write(asio::buffer(std::string("close:see you")));
  beast::flat_buffer buf;
  beast::error_code ec;
  ws->read(buf, ec);  // Beast answers the close frame itself
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws->reason().code, websocket::close_code::normal);
  EXPECT_EQ(std::string(ws->reason().reason.c_str()), "see you");
  // The answered handshake ends the connection at once, not when the 2 s bound expires.
  EXPECT_EQ(server_end(1500ms), WsReadError::closed);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
}

TEST_F(WebSocketTest, AnOversizeMessageIsSkippedAndTheConnectionGoesOn) {
  max_message_bytes = 1000;
  auto ws = beast_client();
  ws->binary(true);
  ws->write(asio::buffer(std::string(5000, 'x')));
  ws->text(true);
  ws->write(asio::buffer(std::string("after")));
  EXPECT_EQ(read_message(*ws), "after");
  std::lock_guard lk(side->mu);
  EXPECT_EQ(side->oversize, std::vector<std::string>{"binary 5000"});
}

TEST_F(WebSocketTest, FramesSentTogetherWithTheUpgradeAreNotLost) {
  RawPeer peer(endpoint());
  peer.send(RawPeer::upgrade_request() + RawPeer::frame(xz::net::ws::Opcode::text, "early"));
  auto answer = peer.read_answer();
  EXPECT_NE(answer.find("101"), std::string::npos) << answer;
  EXPECT_NE(answer.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << answer;
  auto [op, payload] = peer.read_frame();
  EXPECT_EQ(op, xz::net::ws::Opcode::text);
  EXPECT_EQ(payload, "early");
}

TEST_F(WebSocketTest, AMessageTricklingInOneByteAtATimeIsReassembled) {
  RawPeer peer(endpoint());
  peer.send(RawPeer::upgrade_request());
  peer.read_answer();
  std::string body(300, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  auto bytes = RawPeer::frame(xz::net::ws::Opcode::binary, body);
  for (char c : bytes) peer.send(std::string_view(&c, 1));
  auto [op, payload] = peer.read_frame();
  EXPECT_EQ(op, xz::net::ws::Opcode::binary);
  EXPECT_EQ(payload, body);
}

TEST_F(WebSocketTest, AnUnmaskedClientFrameGetsClose1002AndTheConnectionEnds) {
  RawPeer peer(endpoint());
  peer.send(RawPeer::upgrade_request());
  peer.read_answer();
  peer.send(RawPeer::frame(xz::net::ws::Opcode::text, "not masked", /*masked=*/false));
  auto [op, payload] = peer.read_frame();
  ASSERT_EQ(op, xz::net::ws::Opcode::close);
  ASSERT_GE(payload.size(), 2u);
  EXPECT_EQ((static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1]), 1002);
  EXPECT_TRUE(peer.at_eof());
  EXPECT_EQ(server_end(), WsReadError::protocol);
}

TEST_F(WebSocketTest, AContinuationWithoutAMessageIsAProtocolError) {
  RawPeer peer(endpoint());
  peer.send(RawPeer::upgrade_request());
  peer.read_answer();
  peer.send(RawPeer::frame(xz::net::ws::Opcode::continuation, "orphan"));
  EXPECT_EQ(peer.read_frame().first, xz::net::ws::Opcode::close);
  EXPECT_EQ(server_end(), WsReadError::protocol);
}

// Garbage after the handshake costs that connection only: the server closes it (a close
// frame at most, then EOF) and goes on serving others.
TEST_F(WebSocketTest, RandomBytesAfterTheHandshakeEndOnlyThatConnection) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    RawPeer peer(endpoint());
    timeval limit{5, 0};  // a server that never closes fails the test instead of hanging it
    ASSERT_EQ(setsockopt(peer.socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit), 0);
    peer.send(RawPeer::upgrade_request());
    peer.read_answer();
    std::string junk(1 + rng() % 200, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    peer.send(junk);
    peer.socket.shutdown(tcp::socket::shutdown_send);
    beast::error_code ec;
    std::array<char, 4096> sink;
    while (!ec) peer.socket.read_some(asio::buffer(sink), ec);
    ASSERT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << "round " << round << ": " << ec.message();
  }
  auto ws = beast_client();
  ws->text(true);
  ws->write(asio::buffer(std::string("still here")));
  EXPECT_EQ(read_message(*ws), "still here");
}

// Read on the connection's own loop.
Task<std::size_t> queued_bytes_of(std::shared_ptr<WebSocket> ws) { co_return ws->queued_bytes(); }

// A peer that floods pings and never reads: each ping wants a pong, and once the socket
// buffers are full nothing is written any more. One pong at most waits (the newest
// ping's), so the queue stays a few frames long instead of growing by a pong per ping,
// and the connection's data is not stuck behind thousands of pongs.
TEST_F(WebSocketTest, APingFloodFromAPeerThatDoesNotReadHoldsOnePongAtMost) {
  RawPeer flooder(endpoint(), 4096);
  flooder.send(RawPeer::upgrade_request());
  flooder.read_answer();
  // 200,000 pings of 125 bytes: 26 MB in, as many pongs out, far beyond the socket buffers.
  std::string burst;
  for (int i = 0; i < 8000; ++i) {
    std::string payload(125, static_cast<char>('a' + i % 26));
    burst += RawPeer::frame(xz::net::ws::Opcode::ping, payload);
  }
  for (int round = 0; round < 25; ++round) flooder.send(burst);
  flooder.send(RawPeer::frame(xz::net::ws::Opcode::text, "mark"));
  auto marked = side->marked.get_future();
  ASSERT_EQ(marked.wait_for(20s), std::future_status::ready) << "the server stopped reading the flood";
  auto ws = marked.get();
  auto queued = asio::co_spawn(ws->executor(), queued_bytes_of(ws), asio::use_future).get();
  // A batch being written (16 frames of at most 131 bytes) and one pending pong.
  EXPECT_LT(queued, 4096u) << "pongs pile up behind a peer that does not read";

  auto other = beast_client();
  other->text(true);
  other->write(asio::buffer(std::string("unaffected")));
  EXPECT_EQ(read_message(*other), "unaffected");
}

TEST_F(WebSocketTest, UnsupportedVersionsAndMissingKeysAreRefusedOverHttp) {
  RawPeer old(endpoint());
  old.send(RawPeer::upgrade_request("8"));
  auto answer = old.read_answer();
  EXPECT_EQ(answer.rfind("HTTP/1.1 426", 0), 0u) << answer;
  EXPECT_NE(answer.find("Sec-WebSocket-Version: 13"), std::string::npos) << answer;

  RawPeer keyless(endpoint());
  keyless.send("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n");
  answer = keyless.read_answer();
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
}

Task<bool> read_ends(std::shared_ptr<WebSocket> ws) {
  auto m = co_await ws->read();
  co_return !m.has_value();
}

// The peer never reads: far more is queued than the socket buffers hold, so the writer
// blocks and the close frame can never be sent. The close bound ends the connection.
TEST(WebSocketClose, APeerThatStopsReadingCannotHoldAClosingConnection) {
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  tcp::socket peer(io);
  peer.connect(acceptor.local_endpoint());
  xz::net::WsAdoptOptions o;
  o.max_queued_bytes = 64 * 1024 * 1024;
  o.close_flush_timeout = 300ms;
  auto ws = xz::net::adopt_websocket(acceptor.accept(), std::move(o));
  for (int i = 0; i < 256; ++i) ASSERT_TRUE(ws->send_binary(std::string(64 * 1024, 'x')));  // 16 MiB
  auto started = std::chrono::steady_clock::now();
  ws->close("bye");
  auto ended = asio::co_spawn(io, read_ends(ws), asio::use_future);
  while (ended.wait_for(0s) != std::future_status::ready && std::chrono::steady_clock::now() - started < 5s)
    io.run_one_for(100ms);
  ASSERT_EQ(ended.wait_for(0s), std::future_status::ready) << "the close was never bounded";
  EXPECT_TRUE(ended.get());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_FALSE(ws->is_open());
  io.run_for(5s);  // returns once the aborted writer has unwound: nothing else is pending
  EXPECT_EQ(ws->queued_bytes(), 0u) << "the queue is released with the connection";
}

// ws_connect against a Beast server: Beast fails the connection on an unmasked client
// frame, so an echo proves the masking.
// Serves one connection with Beast's websocket::stream on a thread of its own, over TCP
// or TLS (a self-signed certificate for 127.0.0.1): sends "welcome" right after the 101,
// echoes every message, and records how the connection ended.
class BeastEchoPeer {
 public:
  explicit BeastEchoPeer(bool tls, const char* bind_address = "127.0.0.1")
      : acceptor_(io_, {asio::ip::make_address(bind_address), 0}) {
    if (tls) {
      cert_ = xz::test::make_self_signed();
      tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      tls_->use_certificate_chain(asio::buffer(cert_.cert_pem));
      tls_->use_private_key(asio::buffer(cert_.key_pem), asio::ssl::context::pem);
    }
    thread_ = std::thread([this] {
      try {
        if (tls_) {
          websocket::stream<asio::ssl::stream<tcp::socket>> ws(acceptor_.accept(), *tls_);
          ws.next_layer().handshake(asio::ssl::stream_base::server);
          ended_.set_value(serve(ws));
        } else {
          websocket::stream<tcp::socket> ws(acceptor_.accept());
          ended_.set_value(serve(ws));
        }
      } catch (const std::exception& e) {
        ended_.set_value(std::string("exception ") + e.what());
      }
    });
  }
  ~BeastEchoPeer() {
    if (thread_.joinable()) {
      beast::error_code ignored;
      acceptor_.close(ignored);
      thread_.join();
    }
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  const std::string& ca_pem() const { return cert_.cert_pem; }
  // How the connection ended: "closed <code> <reason>", "error ..." or "exception ...".
  std::string ended() {
    thread_.join();
    return ended_.get_future().get();
  }

 private:
  template <class Ws>
  static std::string serve(Ws& ws) {
    ws.accept();
    ws.text(true);
    ws.write(asio::buffer(std::string("welcome")));
    for (;;) {
      beast::flat_buffer buf;
      beast::error_code ec;
      ws.read(buf, ec);
      if (ec == websocket::error::closed)
        return "closed " + std::to_string(ws.reason().code) + " " + std::string(ws.reason().reason.c_str());
      if (ec) return "error " + ec.message();
      ws.binary(ws.got_binary());
      ws.write(buf.data());
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  xz::test::SelfSigned cert_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::promise<std::string> ended_;
  std::thread thread_;
};

// Connects, reads the welcome, echoes a text and a binary message of `binary_bytes`,
// closes, and tells what it saw.
Task<std::string> talk(std::string url, xz::net::WsClientOptions opts, std::size_t binary_bytes) {
  auto ws = co_await xz::net::ws_connect(url, std::move(opts));
  std::string log;
  auto first = co_await ws->read();
  log += first ? first->data : "<none>";
  ws->send_text("hi");
  std::string bytes(binary_bytes, '\x5a');
  for (std::size_t i = 0; i < bytes.size(); i += 7) bytes[i] = static_cast<char>(i);
  ws->send_binary(bytes);
  auto a = co_await ws->read();
  auto b = co_await ws->read();
  log += a && !a->binary ? " " + a->data : " <bad text>";
  log += b && b->binary && b->data == bytes ? " " + std::to_string(bytes.size()) + " bytes" : " <bad binary>";
  ws->close("done");
  auto end = co_await ws->read();  // the server's answer to our close
  log += end ? " <message after close>" : " ended";
  co_return log;
}

// Runs a connect attempt that must fail, and returns its error message.
Task<std::string> connect_error(std::string url, xz::net::WsClientOptions opts) {
  try {
    co_await xz::net::ws_connect(url, std::move(opts));
  } catch (const std::exception& e) {
    co_return e.what();
  }
  co_return "connected";
}

TEST(WebSocketClient, TalksToABeastServerAndClosesCleanly) {
  BeastEchoPeer peer(false);
  xz::core::Runtime rt{1, 1};
  rt.start();
  auto started = std::chrono::steady_clock::now();
  auto result = asio::co_spawn(rt.loop(0), talk("ws://127.0.0.1:" + std::to_string(peer.port()) + "/mcp?x=1", {}, 1000),
                               asio::use_future);
  ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(result.get(), "welcome hi 1000 bytes ended");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);  // not the 2 s close bound
  EXPECT_EQ(peer.ended(), "closed 1000 done");
}

TEST(WebSocketClient, TalksToABeastServerOverTls) {
  BeastEchoPeer peer(true);
  xz::core::Runtime rt{1, 1};
  rt.start();
  xz::net::WsClientOptions opts;
  opts.tls_context = std::make_shared<asio::ssl::context>(xz::net::make_tls_client_context({}, peer.ca_pem(), true));
  // 100 KB spans several TLS records each way.
  auto result = asio::co_spawn(
      rt.loop(0), talk("wss://127.0.0.1:" + std::to_string(peer.port()) + "/mcp/?token=secret", opts, 100'000),
      asio::use_future);
  ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(result.get(), "welcome hi 100000 bytes ended");
  EXPECT_EQ(peer.ended(), "closed 1000 done");
}

TEST(WebSocketClient, RefusesAnUntrustedCertificateWithoutShowingTheToken) {
  BeastEchoPeer peer(true);
  xz::core::Runtime rt{1, 1};
  rt.start();
  auto result = asio::co_spawn(
      rt.loop(0), connect_error("wss://127.0.0.1:" + std::to_string(peer.port()) + "/mcp/?token=secret", {}),
      asio::use_future);
  ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
  auto error = result.get();
  EXPECT_NE(error.find("TLS handshake with wss://127.0.0.1:"), std::string::npos) << error;
  EXPECT_NE(error.find("certificate verify failed"), std::string::npos) << error;
  EXPECT_EQ(error.find("secret"), std::string::npos) << "the token leaked into: " << error;
  EXPECT_NE(peer.ended().find("exception"), std::string::npos) << "the server saw no WebSocket";
}

TEST(WebSocketClient, RefusesACertificateForAnotherAddress) {
  // Trusted, but issued for 127.0.0.1: reached as 127.0.0.2 (also loopback) it must fail.
  BeastEchoPeer peer(true, "0.0.0.0");
  xz::core::Runtime rt{1, 1};
  rt.start();
  xz::net::WsClientOptions opts;
  opts.tls_context = std::make_shared<asio::ssl::context>(xz::net::make_tls_client_context({}, peer.ca_pem(), true));
  auto result = asio::co_spawn(rt.loop(0), connect_error("wss://127.0.0.2:" + std::to_string(peer.port()) + "/", opts),
                               asio::use_future);
  ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
  auto error = result.get();
  EXPECT_NE(error.find("TLS handshake"), std::string::npos) << error;
  peer.ended();
}

// A server that refuses every upgrade with `answer` and then holds the connection open
// (as vendors' gateways do), so a client that waited for the end would hang.
class RefusingPeer {
 public:
  explicit RefusingPeer(std::string answer) : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this, answer = std::move(answer)] {
      tcp::socket s(io_);
      acceptor_.accept(s);
      asio::streambuf request;
      asio::read_until(s, request, "\r\n\r\n");
      asio::write(s, asio::buffer(answer));
      char byte;
      boost::system::error_code ec;
      s.read_some(asio::buffer(&byte, 1), ec);  // until the client gives up
    });
  }
  ~RefusingPeer() { thread_.join(); }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

struct Refusal {
  int status = 0;
  std::string body;
  std::chrono::steady_clock::duration took{};
};

Task<Refusal> refusal_of(std::string url) {
  const auto start = std::chrono::steady_clock::now();
  try {
    xz::net::WsClientOptions opts;
    co_await xz::net::ws_connect(url, std::move(opts));
  } catch (const xz::net::WsHandshakeError& e) {
    co_return Refusal{e.status, e.body, std::chrono::steady_clock::now() - start};
  }
  co_return Refusal{};
}

TEST(WebSocketClient, ARefusedUpgradeCarriesTheVendorsExplanation) {
  const std::string why = R"({"message":"HMAC signature does not match"})";
  RefusingPeer peer("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(why.size()) + "\r\n\r\n" + why);
  xz::core::Runtime rt{1, 1};
  rt.start();
  auto result = asio::co_spawn(rt.loop(0), refusal_of("ws://127.0.0.1:" + std::to_string(peer.port()) + "/v2/iat"),
                               asio::use_future);
  ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
  auto r = result.get();
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, why);
}

TEST(WebSocketClient, ARefusalWithoutALengthIsReportedAtOnceWithoutItsBody) {
  RefusingPeer peer("HTTP/1.1 403 Forbidden\r\n\r\nnever ends");
  xz::core::Runtime rt{1, 1};
  rt.start();
  auto result = asio::co_spawn(rt.loop(0), refusal_of("ws://127.0.0.1:" + std::to_string(peer.port()) + "/"),
                               asio::use_future);
  ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
  auto r = result.get();
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "");
  EXPECT_LT(r.took, 2s) << "waited for a body that has no end";
}
