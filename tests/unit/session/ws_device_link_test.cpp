// WsDeviceLink over a real WebSocket: the framing it unframes and frames with follows
// the hello's version (the MQTT gateway's stays), the server hello it completes is the
// bytes the firmware expects, and what it cannot use comes back as "dropped", never
// as the end. The device is Boost.Beast's client, the frames built by hand here.
#include "session/device_link.h"

#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include "core/runtime.h"
#include "net/http_server.h"
#include "net/websocket.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using xz::protocol::Framing;
using xz::session::DeviceInput;
using xz::session::WsDeviceLink;

namespace {

std::string be16(std::uint16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)}; }
std::string be32(std::uint32_t v) { return be16(static_cast<std::uint16_t>(v >> 16)) + be16(static_cast<std::uint16_t>(v)); }

// device-protocol.md §3.4, uplink and downlink alike for v1-v3; the gateway's §4.5.
std::string frame(Framing f, const std::string& opus, std::uint32_t ts, std::uint32_t seq = 0) {
  switch (f) {
    case Framing::v1: return opus;
    case Framing::v2: return be16(2) + be16(0) + be32(0) + be32(ts) + be32(static_cast<std::uint32_t>(opus.size())) + opus;
    case Framing::v3: return std::string{'\0', '\0'} + be16(static_cast<std::uint16_t>(opus.size())) + opus;
    case Framing::mqtt_gateway:
      return std::string{'\1', '\0'} + be16(static_cast<std::uint16_t>(opus.size())) + be32(seq) + be32(ts) +
             be32(static_cast<std::uint32_t>(opus.size())) + opus;
  }
  return {};
}

// DeviceInput with its opus copied: the view is only valid until the next receive().
struct Received {
  DeviceInput::Kind kind;
  std::string text, opus, what, why;
  std::uint32_t timestamp_ms;
};

class WsDeviceLinkTest : public ::testing::Test {
 protected:
  // Serves one device whose link starts with `initial` framing; returns its link.
  WsDeviceLink& connect(Framing initial) {
    rt.start();
    xz::net::HttpServerOptions o;
    o.address = "127.0.0.1";
    o.max_ws_message_bytes = 4096;
    server = std::make_unique<xz::net::HttpServer>(rt, o, std::make_shared<xz::net::HttpRouter>());
    std::promise<std::shared_ptr<WsDeviceLink>> made;
    server->set_websocket_handler([&, initial](std::shared_ptr<xz::net::WebSocket> ws, xz::net::HttpRequest) {
      made.set_value(std::make_shared<WsDeviceLink>(std::move(ws), initial));
    });
    server->start();
    device.next_layer().connect({asio::ip::make_address("127.0.0.1"), server->port()});
    device.handshake("127.0.0.1", "/xiaozhi/v1/");
    device.binary(true);
    link = made.get_future().get();
    return *link;
  }
  void TearDown() override {
    if (server) server->stop_accepting();
  }

  // Runs `f` on the link's loop and waits for it.
  template <class F>
  auto on_link(F f) {
    return asio::co_spawn(
               link->executor(), [f]() -> asio::awaitable<decltype(f())> { co_return f(); }, asio::use_future)
        .get();
  }
  Received receive() {
    auto fut = receive_later();
    if (fut.wait_for(5s) != std::future_status::ready) throw std::runtime_error("receive() did not return");
    return fut.get();
  }
  std::future<Received> receive_later() {
    return asio::co_spawn(
        link->executor(),
        [l = link]() -> asio::awaitable<Received> {
          auto in = co_await l->receive();
          co_return Received{in.kind, in.text, std::string(in.opus), in.what, in.why, in.timestamp_ms};
        },
        asio::use_future);
  }
  // The server hello the link completes for a device saying hello with `version`.
  std::string hello(int version) {
    return on_link([l = link, version] {
      xz::protocol::HelloMsg h;
      h.version = version;
      xz::protocol::ServerHello reply;
      reply.session_id = "s1";
      reply.version = version;
      reply.udp = xz::protocol::UdpInfo{"1.2.3.4", 8884, "k", "n"};  // not the WebSocket's: removed
      l->on_hello(h, reply);
      return xz::protocol::make_server_hello(reply);
    });
  }
  std::string device_reads() {
    beast::flat_buffer buf;
    device.read(buf);
    return beast::buffers_to_string(buf.data());
  }

  xz::core::Runtime rt{1, 1};
  std::unique_ptr<xz::net::HttpServer> server;
  asio::io_context client_io;
  websocket::stream<tcp::socket> device{client_io};
  std::shared_ptr<WsDeviceLink> link;
};

class WsDeviceLinkVersion : public WsDeviceLinkTest, public ::testing::WithParamInterface<int> {};

}  // namespace

TEST_P(WsDeviceLinkVersion, HelloSettlesTheFramingBothWays) {
  const int version = GetParam();
  const Framing f = xz::protocol::framing_for_version(version);
  auto& l = connect(Framing::v1);  // the URL said nothing; the hello says `version`
  EXPECT_EQ(hello(version), "{\"type\":\"hello\",\"version\":" + std::to_string(version) +
                                ",\"transport\":\"websocket\",\"session_id\":\"s1\",\"audio_params\":{\"format\":"
                                "\"opus\",\"sample_rate\":24000,\"channels\":1,\"frame_duration\":60}}");
  EXPECT_EQ(l.framing(), f);
  EXPECT_EQ(l.transport(), "websocket");
  EXPECT_EQ(l.remote_address(), "127.0.0.1");

  device.write(asio::buffer(frame(f, "OPUS-UP", 1234)));
  auto in = receive();
  ASSERT_EQ(in.kind, DeviceInput::Kind::audio) << in.what << ": " << in.why;
  EXPECT_EQ(in.opus, "OPUS-UP");
  EXPECT_EQ(in.timestamp_ms, f == Framing::v2 ? 1234u : 0u);  // only v2 carries one uplink

  EXPECT_TRUE(on_link([l = link] { return l->send_audio("OPUS-DOWN", 60); }));
  EXPECT_EQ(device_reads(), frame(f, "OPUS-DOWN", 60));

  device.text(true);
  device.write(asio::buffer(std::string(R"({"type":"listen","state":"start"})")));
  in = receive();
  ASSERT_EQ(in.kind, DeviceInput::Kind::text);
  EXPECT_EQ(in.text, R"({"type":"listen","state":"start"})");
}

INSTANTIATE_TEST_SUITE_P(WsDeviceLink, WsDeviceLinkVersion, ::testing::Values(1, 2, 3));

TEST_F(WsDeviceLinkTest, TheGatewaysFramingOutlivesTheHello) {
  auto& l = connect(Framing::mqtt_gateway);
  hello(3);
  EXPECT_EQ(l.framing(), Framing::mqtt_gateway);
  device.write(asio::buffer(frame(Framing::mqtt_gateway, "OPUS-UP", 777, 5)));
  auto in = receive();
  ASSERT_EQ(in.kind, DeviceInput::Kind::audio) << in.why;
  EXPECT_EQ(in.opus, "OPUS-UP");
  EXPECT_EQ(in.timestamp_ms, 777u);
  on_link([l = link] { return l->send_audio("A", 60) && l->send_audio("B", 120); });
  EXPECT_EQ(device_reads(), frame(Framing::mqtt_gateway, "A", 60, 0));
  EXPECT_EQ(device_reads(), frame(Framing::mqtt_gateway, "B", 120, 1));  // the sequence counts up
}

TEST_F(WsDeviceLinkTest, UnusableInputIsDroppedAndTheLinkGoesOn) {
  connect(Framing::v1);
  hello(2);
  device.write(asio::buffer(std::string("\0\2\0\0", 4)));  // a v2 frame cut inside its header
  auto in = receive();
  EXPECT_EQ(in.kind, DeviceInput::Kind::dropped);
  EXPECT_EQ(in.what, "audio frame");
  EXPECT_NE(in.why.find("shorter than the 16-byte header"), std::string::npos) << in.why;

  device.write(asio::buffer(std::string(5000, 'x')));  // over the 4096-byte limit
  in = receive();
  EXPECT_EQ(in.kind, DeviceInput::Kind::dropped);
  EXPECT_EQ(in.what, "binary frame");
  EXPECT_NE(in.why.find("5000 bytes"), std::string::npos) << in.why;

  device.write(asio::buffer(frame(Framing::v2, "still here", 1)));
  in = receive();
  ASSERT_EQ(in.kind, DeviceInput::Kind::audio);
  EXPECT_EQ(in.opus, "still here");

  auto ended = receive_later();  // the server answers the close frame while it reads
  device.close(websocket::close_code::normal);
  ASSERT_EQ(ended.wait_for(5s), std::future_status::ready);
  in = ended.get();
  EXPECT_EQ(in.kind, DeviceInput::Kind::ended);
  EXPECT_EQ(in.why, "connection closed by the device");
}

TEST_F(WsDeviceLinkTest, CloseEndsTheChannelAfterWhatIsQueued) {
  connect(Framing::v1);
  auto ended = receive_later();  // as the session always is: reading
  on_link([l = link] {
    l->send_text(R"({"type":"tts","state":"stop"})");
    l->close("bye");
    return true;
  });
  EXPECT_EQ(device_reads(), R"({"type":"tts","state":"stop"})");
  beast::flat_buffer buf;
  beast::error_code ec;
  device.read(buf, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(device.reason().reason, "bye");
  ASSERT_EQ(ended.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(ended.get().kind, DeviceInput::Kind::ended);
}
