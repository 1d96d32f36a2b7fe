// The device edge over real sockets: WebSocket identity, hello, framing, routing of
// every message, bad input, auth, sessions and timeouts, driven by xiaozhi-sim.
#include <functional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "protocol/audio_framing.h"
#include "protocol/device_token.h"
#include "net/websocket.h"
#include "sim/sim_device.h"
#include "support/child_process.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::TestServer;

namespace {

int live_sessions(TestServer& s) {
  auto r = xz::test::http_request(s.http_port(), "GET", "/health");
  return json::parse(r.body).value("live_sessions", -1);
}

bool is_alnum(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  return true;
}

ConnectOptions opts(const TestServer& s, std::function<void(ConnectOptions&)> tweak = {}) {
  ConnectOptions o;
  o.url = s.ws_url();
  if (tweak) tweak(o);
  return o;
}

xz::sim::DeviceProfile profile(std::string device_id, std::string client_id = {}) {
  xz::sim::DeviceProfile p;
  p.device_id = std::move(device_id);
  p.client_id = std::move(client_id);
  return p;
}

// Note: g++ 12 mishandles temporaries in a full-expression that also contains co_await
// (e.g. `SimDevice d(co_await this_coro::executor)`), so tests fetch the executor first.

// A valid-looking Opus packet: a TOC byte for a 60 ms SILK frame plus payload.
std::string opus_like_packet() { return std::string("\x78\x01\x02\x03", 4); }

}  // namespace

TEST(DeviceEdge, HelloWithHeadersIsAnsweredAtOnce) {
  TestServer server;
  ClientLoop loop;
  auto hello = loop.run([&]() -> Task<json> {
    auto ex_dev = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex_dev);
    co_await dev.connect(opts(server));
    auto h = co_await dev.wait_hello();
    EXPECT_TRUE(h.has_value());
    EXPECT_LT(dev.hello_latency_ms().value_or(1e9), 100.0);
    co_return h.value_or(json());
  }());
  EXPECT_EQ(hello["type"], "hello");
  EXPECT_EQ(hello["transport"], "websocket") << "its absence crashes current firmware";
  EXPECT_TRUE(is_alnum(hello.value("session_id", ""))) << hello.dump();
  EXPECT_EQ(hello["audio_params"]["format"], "opus");
  EXPECT_EQ(hello["audio_params"]["sample_rate"], 24000);
  EXPECT_EQ(hello["audio_params"]["channels"], 1);
  EXPECT_EQ(hello["audio_params"]["frame_duration"], 60);
}

TEST(DeviceEdge, IdentityFromQueryParametersForBrowsers) {
  TestServer server;
  ClientLoop loop;
  bool ok = loop.run([&]() -> Task<bool> {
    auto ex_dev = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex_dev);
    co_await dev.connect(opts(server, [&](ConnectOptions& o) { o.identity_in_query = true; }));
    co_return (co_await dev.wait_hello()).has_value();
  }());
  EXPECT_TRUE(ok);
}

TEST(DeviceEdge, ConfiguredDownlinkRateIsAnnounced) {
  TestServer server({{"xiaozhi.audio_params.sample_rate", 16000}});
  ClientLoop loop;
  auto hello = loop.run([&]() -> Task<json> {
    auto ex_dev = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex_dev);
    co_await dev.connect(opts(server));
    co_return (co_await dev.wait_hello()).value_or(json());
  }());
  EXPECT_EQ(hello["audio_params"]["sample_rate"], 16000);
}

TEST(DeviceEdge, PlainGetOnTheWebSocketPortAnswers200) {
  TestServer server;
  auto r = xz::test::http_request(server.ws_port(), "GET", "/xiaozhi/v1/");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.body.empty());
}

TEST(DeviceEdge, MissingDeviceIdIsRefusedWithAReason) {
  TestServer server;
  ClientLoop loop;
  auto got = loop.run([&]() -> Task<std::pair<std::string, bool>> {
    std::string url = server.ws_url();
    xz::net::WsClientOptions ws_options;
    auto ws = co_await xz::net::ws_connect(url, ws_options);
    auto msg = co_await ws->read();
    std::string text = msg ? msg->data : "";
    auto next = co_await ws->read();
    co_return std::make_pair(text, !next.has_value());
  }());
  EXPECT_NE(got.first.find("Device-Id"), std::string::npos) << got.first;
  EXPECT_TRUE(got.second) << "the connection is closed after the reason";
}

class Framing : public ::testing::TestWithParam<int> {};

TEST_P(Framing, VersionIsAnnouncedAndUplinkFramesAreAccepted) {
  const int version = GetParam();
  TestServer server;
  ClientLoop loop;
  auto result = loop.run([&]() -> Task<json> {
    auto ex_dev = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex_dev);
    co_await dev.connect(opts(server, [&](ConnectOptions& o) { o.protocol_version = version; }));
    auto h = co_await dev.wait_hello();
    dev.listen_start("manual");
    for (int i = 0; i < 5; ++i) dev.send_opus(opus_like_packet());
    dev.send_binary("\x01");  // a truncated frame for v2/v3, a 1-byte DTX packet for v1
    dev.listen_stop();
    // Still alive: a second hello is answered with the same session.
    dev.send_hello();
    auto again = co_await dev.wait_type("hello", "", 2s);
    EXPECT_TRUE(again.has_value());
    co_return h.value_or(json());
  }());
  EXPECT_EQ(result.value("version", 0), version);
}

INSTANTIATE_TEST_SUITE_P(DeviceEdge, Framing, ::testing::Values(1, 2, 3));

TEST(DeviceEdge, MqttGatewayConnectionsUseTheSixteenByteFraming) {
  TestServer server;
  ClientLoop loop;
  bool alive = loop.run([&]() -> Task<bool> {
    auto ex_dev = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex_dev);
    co_await dev.connect(opts(server, [&](ConnectOptions& o) { o.protocol_version = 2; o.from_mqtt_gateway = true; }));
    if (!co_await dev.wait_hello()) co_return false;
    dev.listen_start("manual");
    dev.send_opus(opus_like_packet(), 1234);
    dev.send_binary(std::string(8, '\0'));  // shorter than the 16-byte header
    dev.send_hello();
    co_return (co_await dev.wait_type("hello", "", 2s)).has_value();
  }());
  EXPECT_TRUE(alive);
}

TEST(DeviceEdge, BadInputCostsOneMessageNeverTheSession) {
  TestServer server({{"enable_websocket_ping", true}, {"server.max_ws_message_bytes", 4096}});
  ClientLoop loop;
  auto result = loop.run([&]() -> Task<std::pair<bool, std::string>> {
    auto ex_dev = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex_dev);
    co_await dev.connect(opts(server, [&](ConnectOptions& o) { o.send_hello = false; }));
    dev.send_opus(opus_like_packet());                                   // audio before hello
    dev.send_hello();
    if (!co_await dev.wait_hello()) co_return std::make_pair(false, std::string("no hello"));
    dev.send_text("{not json");                                          // malformed JSON
    dev.send_text("[1,2,3]");                                            // not an object
    dev.send_text(R"({"type":"teleport"})");                             // unknown type
    dev.send_text(R"({"type":"listen"})");                               // missing state
    dev.send_text(R"({"type":"listen","state":42})");                    // wrong type
    dev.send_text(R"({"type":"listen","state":"start","mode":"psychic"})");  // bad enum
    dev.send_text(R"({"type":"mcp","payload":"not an object"})");
    dev.send_text(R"({"type":"hello","audio_params":{"sample_rate":"fast"}})");
    dev.send_text(std::string(10000, 'x'));                              // above the maximum
    dev.send_binary(std::string(10000, '\x01'));                         // above the maximum
    dev.send_text(R"({"type":"ping"})");
    auto pong = co_await dev.wait_type("pong", "", 3s);
    co_return std::make_pair(pong.has_value() && dev.connected(), pong ? pong->dump() : std::string());
  }());
  EXPECT_TRUE(result.first) << "the session must survive every bad message; pong: " << result.second;
}

TEST(DeviceEdge, AbortIsAnsweredWithTtsStop) {
  TestServer server;
  ClientLoop loop;
  auto stop = loop.run([&]() -> Task<std::optional<json>> {
    auto ex_dev = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex_dev);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    dev.abort();
    co_return co_await dev.wait_type("tts", "stop", 3s);
  }());
  ASSERT_TRUE(stop.has_value());
  EXPECT_FALSE(stop->value("session_id", "").empty());
}

TEST(DeviceEdge, PingIsIgnoredUnlessEnabled) {
  TestServer server;  // enable_websocket_ping: false
  ClientLoop loop;
  auto pong = loop.run([&]() -> Task<std::optional<json>> {
    auto ex_dev = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex_dev);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    dev.send_text(R"({"type":"ping"})");
    dev.abort();  // a message that is answered, to know the ping was processed before it
    co_await dev.wait_type("tts", "stop", 3s);
    co_return co_await dev.wait_type("pong", "", 200ms);
  }());
  EXPECT_FALSE(pong.has_value());
}

class Auth : public ::testing::Test {
 protected:
  static constexpr const char* kKey = "integration-test-key";
  TestServer server{{{"server.auth.enabled", true},
                     {"server.auth_key", kKey},
                     {"server.auth.allowed_devices", json::array({"02:00:00:00:00:99"})}}};
  ClientLoop loop;

  // Connects with `token`; returns whether a hello came back, and the refusal text.
  std::pair<bool, std::string> attempt(const std::string& device_id, const std::string& token) {
    return loop.run([&]() -> Task<std::pair<bool, std::string>> {
      auto ex_dev = co_await boost::asio::this_coro::executor;
      SimDevice dev(ex_dev, profile(device_id));
      co_await dev.connect(opts(server, [&](ConnectOptions& o) { o.token = token; }));
      auto h = co_await dev.wait_hello(3s);
      std::string alert;
      for (const auto& m : dev.messages())
        if (m.json.value("type", "") == "alert") alert = m.json.value("message", "");
      if (!h) {
        EXPECT_TRUE(co_await dev.wait_closed(3s)) << "a refused device is disconnected";
      }
      co_return std::make_pair(h.has_value(), alert);
    }());
  }
  std::string token_for(const std::string& device, std::int64_t ts) {
    // The simulator's client id is random; use a fixed one so the token matches.
    return xz::protocol::make_device_token(kKey, "c1", device, ts);
  }
  std::int64_t now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::pair<bool, std::string> attempt_as(const std::string& device, const std::string& token) {
    return loop.run([&]() -> Task<std::pair<bool, std::string>> {
      auto ex_dev = co_await boost::asio::this_coro::executor;
      SimDevice dev(ex_dev, profile(device, "c1"));
      co_await dev.connect(opts(server, [&](ConnectOptions& o) { o.token = token; }));
      auto h = co_await dev.wait_hello(3s);
      std::string alert;
      for (const auto& m : dev.messages())
        if (m.json.value("type", "") == "alert") alert = m.json.value("message", "");
      co_return std::make_pair(h.has_value(), alert);
    }());
  }
};

TEST_F(Auth, ValidTokenIsAccepted) {
  EXPECT_TRUE(attempt_as("02:00:00:00:00:01", token_for("02:00:00:00:00:01", now())).first);
}

TEST_F(Auth, WrongTokenIsRefusedWithAReason) {
  auto r = attempt_as("02:00:00:00:00:01", token_for("02:00:00:00:00:02", now()));
  EXPECT_FALSE(r.first);
  EXPECT_NE(r.second.find("invalid token"), std::string::npos) << r.second;
}

TEST_F(Auth, ExpiredTokenIsRefused) {
  auto r = attempt_as("02:00:00:00:00:01", token_for("02:00:00:00:00:01", now() - 31LL * 24 * 3600));
  EXPECT_FALSE(r.first);
  EXPECT_NE(r.second.find("expired"), std::string::npos) << r.second;
}

TEST_F(Auth, MissingTokenIsRefused) {
  auto r = attempt("02:00:00:00:00:01", "");
  EXPECT_FALSE(r.first);
  EXPECT_NE(r.second.find("missing token"), std::string::npos) << r.second;
}

TEST_F(Auth, AllowedDeviceNeedsNoToken) {
  EXPECT_TRUE(attempt("02:00:00:00:00:99", "").first);
}

TEST(DeviceEdge, ReconnectReplacesTheOldSessionCleanly) {
  TestServer server;
  ClientLoop loop;
  auto r = loop.run([&]() -> Task<std::tuple<bool, bool, std::string, std::string>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice first(ex, profile("02:00:00:00:00:07", "c"));
    co_await first.connect(opts(server));
    co_await first.wait_hello();
    // The firmware reconnects while its old socket is still open.
    SimDevice second(ex, profile("02:00:00:00:00:07", "c"));
    co_await second.connect(opts(server));
    auto h2 = co_await second.wait_hello();
    bool first_closed = co_await first.wait_closed(3s);
    second.abort();
    bool second_alive = (co_await second.wait_type("tts", "stop", 3s)).has_value();
    EXPECT_EQ(live_sessions(server), 1);
    co_return std::make_tuple(first_closed, second_alive && h2.has_value(), first.session_id(),
                              second.session_id());
  }());
  EXPECT_TRUE(std::get<0>(r)) << "the old socket is closed by the server";
  EXPECT_TRUE(std::get<1>(r)) << "the new session works";
  EXPECT_NE(std::get<2>(r), std::get<3>(r));
}

TEST(DeviceEdge, RegistryCountsLiveSessions) {
  TestServer server;
  ClientLoop loop;
  loop.run([&]() -> Task<int> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice a(ex), b(ex);
    co_await a.connect(opts(server));
    co_await b.connect(opts(server));
    co_await a.wait_hello();
    co_await b.wait_hello();
    EXPECT_EQ(live_sessions(server), 2);
    EXPECT_EQ(server.metric("xiaozhi_transport_sessions{transport=\"websocket\"}"), 2);
    EXPECT_EQ(server.metric("xiaozhi_transport_sessions{transport=\"mqtt\"}"), 0);
    a.drop_connection();  // the firmware just closes TCP
    // The server notices the closed socket; wait on its count, bounded.
    for (int i = 0; i < 200 && live_sessions(server) != 1; ++i) co_await xz::core::sleep_for(10ms);
    EXPECT_EQ(live_sessions(server), 1);
    co_return 0;
  }());
}

TEST(DeviceEdge, NoHelloWithinTheTimeoutCloses) {
  TestServer server({{"server.hello_timeout_seconds", 0.3}});
  ClientLoop loop;
  auto closed = loop.run([&]() -> Task<bool> {
    auto ex_dev = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex_dev);
    co_await dev.connect(opts(server, [&](ConnectOptions& o) { o.send_hello = false; }));
    co_return co_await dev.wait_closed(3s);
  }());
  EXPECT_TRUE(closed);
}

TEST(DeviceEdge, UnfinishedHandshakeIsDroppedWithoutHarmingOthers) {
  TestServer server({{"server.handshake_timeout_seconds", 0.5}});
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket raw(io);
  raw.connect({boost::asio::ip::make_address("127.0.0.1"), server.ws_port()});
  boost::asio::write(raw, boost::asio::buffer(std::string("GET /xiaozhi/v1/ HTTP/1.1\r\nHost: x\r\n")));

  ClientLoop loop;
  bool ok = loop.run([&]() -> Task<bool> {
    auto ex_dev = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex_dev);
    co_await dev.connect(opts(server));
    co_return (co_await dev.wait_hello()).has_value();
  }());
  EXPECT_TRUE(ok) << "a half-open client does not block other devices";

  // The server closes the half-open connection after the handshake timeout.
  char buf[256];
  boost::system::error_code ec;
  auto t0 = std::chrono::steady_clock::now();
  raw.read_some(boost::asio::buffer(buf), ec);
  EXPECT_TRUE(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) << ec.message();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

// A peer that never answers the server's close frame is cut off after the close
// handshake's 2 s limit, not kept until a TCP timeout.
TEST(DeviceEdge, APeerThatIgnoresTheCloseFrameIsDroppedSoon) {
  TestServer server;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket raw(io);
  raw.connect({boost::asio::ip::make_address("127.0.0.1"), server.ws_port()});
  boost::asio::write(raw, boost::asio::buffer(std::string(
                              "GET /xiaozhi/v1/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                              "Device-Id: aa:bb:cc:dd:ee:42\r\nClient-Id: raw-client\r\n\r\n")));
  boost::asio::streambuf response;
  boost::asio::read_until(raw, response, "\r\n\r\n");
  std::string head(boost::asio::buffers_begin(response.data()), boost::asio::buffers_end(response.data()));
  ASSERT_NE(head.find(" 101 "), std::string::npos) << head;

  // {"type":"goodbye"} in one masked text frame (mask 0: the payload goes as is).
  const std::string goodbye = R"({"type":"goodbye"})";
  std::string frame{static_cast<char>(0x81), static_cast<char>(0x80 | goodbye.size()), 0, 0, 0, 0};
  frame += goodbye;
  const auto t0 = std::chrono::steady_clock::now();
  boost::asio::write(raw, boost::asio::buffer(frame));

  // Read the server's close frame and never answer it, until the server hangs up.
  char buf[256];
  boost::system::error_code ec;
  while (!ec) raw.read_some(boost::asio::buffer(buf), ec);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) << ec.message();
  EXPECT_GE(took, 1500ms) << "the server should wait a moment for the close frame";
  EXPECT_LT(took, 5s) << "the server waited too long for a close frame that never came";
}

TEST(DeviceEdge, NoVoiceTimeoutEndsTheSession) {
  // No LLM is reachable: the goodbye turn says the (short) error response in full, as the
  // reference does, then the session closes.
  TestServer server({{"close_connection_no_voice_time", 1},
                     {"close_connection_after_goodbye_seconds", 0.5},
                     {"system_error_response", "Bye."}});
  ClientLoop loop;
  auto r = loop.run([&]() -> Task<std::pair<bool, double>> {
    auto ex_dev = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex_dev);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    auto t0 = std::chrono::steady_clock::now();
    bool closed = co_await dev.wait_closed(5s);
    co_return std::make_pair(closed, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }());
  EXPECT_TRUE(r.first);
  EXPECT_GE(r.second, 1.2);
  EXPECT_LT(r.second, 3.0);
}

TEST(DeviceEdge, ShutdownClosesSessionsAndStopsAccepting) {
  auto server = std::make_unique<TestServer>();
  ClientLoop loop;
  auto port = server->ws_port();
  loop.run([&]() -> Task<int> {
    auto ex_dev = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex_dev);
    co_await dev.connect(opts(*server));
    co_await dev.wait_hello();
    co_return 0;
  }());
  server.reset();  // graceful shutdown
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  boost::system::error_code ec;
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  EXPECT_TRUE(ec) << "nothing listens after shutdown";
}
