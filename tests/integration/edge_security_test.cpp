// The device edge against hostile clients, on the whole server: browser origins,
// activation and auth gates, identity checks, proxy headers, connection caps on both
// ports, endless and stalled requests. Real sockets, xiaozhi-sim devices, and a fake
// LLM that counts its calls (an unbound device must cause none).
#include <algorithm>
#include <cstdio>
#include <regex>

#include <gtest/gtest.h>

#include "core/fd_limit.h"
#include "net/websocket.h"
#include "protocol/device_token.h"
#include "sim/sim_device.h"
#include "support/child_process.h"
#include "support/fake_openai.h"
#include "support/raw_client.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::RawConnection;
using xz::test::TestServer;

namespace {

using Overrides = std::vector<std::pair<std::string, json>>;

constexpr const char* kAuthKey = "edge-security-test-key";
constexpr const char* kAdminToken = "edge-admin-token-0123456789abcdef";

Overrides with_llm(const FakeOpenAi& fake, Overrides more = {}) {
  Overrides o = {{"LLM.OpenAILLM.base_url", fake.url()},
                 {"LLM.OpenAILLM.api_key", "sk-test"},
                 {"server.auth_key", kAuthKey},
                 {"server.admin_token", kAdminToken}};
  for (auto& m : more) o.push_back(std::move(m));
  return o;
}

ConnectOptions opts(const TestServer& s, std::string token = {}) {
  ConnectOptions o;
  o.url = s.ws_url();
  o.token = std::move(token);
  return o;
}

xz::sim::DeviceProfile profile(std::string device_id, std::string client_id = "edge-client") {
  xz::sim::DeviceProfile p;
  p.device_id = std::move(device_id);
  p.client_id = std::move(client_id);
  return p;
}

std::string upgrade_request(const std::string& host, const std::string& extra_headers) {
  return "GET /xiaozhi/v1/ HTTP/1.1\r\nHost: " + host +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
         "Device-Id: 02:00:00:00:0e:01\r\nClient-Id: edge-client\r\n" +
         extra_headers + "\r\n";
}

int live_sessions(TestServer& s) {
  auto r = xz::test::http_request(s.http_port(), "GET", "/health");
  return json::parse(r.body).value("live_sessions", -1);
}

// Connects with ws_connect and the given headers, says hello; whether a hello came back.
Task<bool> hello_with_headers(std::string url, std::map<std::string, std::string> headers) {
  xz::net::WsClientOptions o;
  o.headers = std::move(headers);
  auto ws = co_await xz::net::ws_connect(std::move(url), o);
  ws->send_text(R"({"type":"hello","version":1,"transport":"websocket","audio_params":{"format":"opus",)"
                R"("sample_rate":16000,"channels":1,"frame_duration":60}})");
  for (;;) {
    auto m = co_await ws->read();
    if (!m) co_return false;
    auto j = json::parse(m->data, nullptr, false);
    if (j.is_object() && j.value("type", "") == "hello") {
      ws->close();
      co_return true;
    }
  }
}

}  // namespace

// ---------------------------------------------------------------- browser origins

TEST(EdgeOrigin, ForeignPageUpgradeIsRefusedBeforeTheHandshake) {
  TestServer server;
  RawConnection page(server.ws_port());
  page.send(upgrade_request("127.0.0.1:" + std::to_string(server.ws_port()), "Origin: http://evil.example\r\n"));
  auto r = page.read_for(3s, "\r\n\r\n");
  EXPECT_EQ(RawConnection::status_of(r.data), 403) << r.data;
  EXPECT_EQ(r.data.find(" 101 "), std::string::npos);
  EXPECT_EQ(live_sessions(server), 0);

  // The firmware sends no Origin and is unaffected.
  RawConnection firmware(server.ws_port());
  firmware.send(upgrade_request("127.0.0.1:" + std::to_string(server.ws_port()), ""));
  EXPECT_EQ(RawConnection::status_of(firmware.read_for(3s, "\r\n\r\n").data), 101);
}

TEST(EdgeOrigin, OurOwnPagesAndListedOriginsMayConnect) {
  TestServer server({{"server.allowed_origins", json::array({"http://localhost:8006"})}});
  ClientLoop loop;
  const std::map<std::string, std::string> id = {{"Device-Id", "02:00:00:00:0e:02"}, {"Client-Id", "c"}};
  auto with_origin = [&](const std::string& origin) {
    auto h = id;
    h["Origin"] = origin;
    return h;
  };
  // ws_connect sends Host: 127.0.0.1:<ws port>: a page from our HTTP port on that host is ours.
  const std::string ours = "http://127.0.0.1:" + std::to_string(server.http_port());
  EXPECT_TRUE(loop.run(hello_with_headers(server.ws_url(), with_origin(ours))));
  EXPECT_TRUE(loop.run(hello_with_headers(server.ws_url(), with_origin("http://localhost:8006"))));
  // Same host, another port: another program's page.
  const std::string other = "http://127.0.0.1:" + std::to_string(server.ws_port() + 1);
  EXPECT_THROW(loop.run(hello_with_headers(server.ws_url(), with_origin(other))), std::exception);
  EXPECT_THROW(loop.run(hello_with_headers(server.ws_url(), with_origin("null"))), std::exception);
}

// ---------------------------------------------------------------- activation

TEST(EdgeActivation, UnboundDeviceGetsNoTokenAndNoLlmReply) {
  FakeOpenAi fake;
  TestServer server(with_llm(fake, {{"server.auth.enabled", true}, {"server.activation.enabled", true}}));
  ClientLoop loop;
  const std::string device = "02:00:00:00:0e:10", client = "edge-client";
  auto r = loop.run([&]() -> Task<std::tuple<json, bool, bool, std::string>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex, profile(device, client));
    json ota = co_await dev.check_ota(server.http_url("/xiaozhi/ota/"));
    // The firmware would not even connect; a client that does, without a token, is refused.
    co_await dev.connect(opts(server, ota["websocket"].value("token", "")));
    bool hello_without_token = (co_await dev.wait_hello(2s)).has_value();
    // Even with a valid token (minted before activation was turned on, say) it gets no conversation.
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    SimDevice again(ex, profile(device, client));
    co_await again.connect(opts(server, xz::protocol::make_device_token(kAuthKey, client, device, now)));
    bool hello_with_token = (co_await again.wait_hello(3s)).has_value();
    again.listen_detect("what is the weather like today");
    co_await again.wait_closed(30s);
    std::string stt = again.turns().empty() ? "" : again.turns()[0].stt_text;
    co_return std::make_tuple(ota, hello_without_token, hello_with_token, stt);
  }());
  const json& ota = std::get<0>(r);
  ASSERT_TRUE(ota.contains("activation")) << ota.dump();
  const std::string code = ota["activation"]["code"];
  EXPECT_EQ(ota["websocket"]["token"], "") << "no token before the device is bound";
  EXPECT_FALSE(std::get<1>(r)) << "no token, no session";
  EXPECT_TRUE(std::get<2>(r)) << "its hello is answered so the firmware does not time out";
  EXPECT_NE(std::get<3>(r).find(code), std::string::npos) << "shown its code: " << std::get<3>(r);
  EXPECT_EQ(fake.request_count(), 0u) << "an unbound device must never reach the LLM";
}

TEST(EdgeActivation, UnboundDeviceHearsAndSeesItsCodeThenTheSessionCloses) {
  FakeOpenAi fake;
  TestServer server(with_llm(fake, {{"server.activation.enabled", true}}));
  ClientLoop loop;
  struct Seen {
    std::string code;
    bool hello_then_closed = false;
    std::vector<json> messages;
    std::vector<xz::sim::TurnRecord> turns;
    int rate = 0;
  };
  auto r = loop.run([&]() -> Task<Seen> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex, profile("02:00:00:00:0e:11"));
    Seen seen;
    json ota = co_await dev.check_ota(server.http_url("/xiaozhi/ota/"));
    seen.code = ota["activation"].value("code", "");
    co_await dev.connect(opts(server));
    bool hello = (co_await dev.wait_hello(3s)).has_value();
    // Everything it says is ignored: a typed question, a wake word, audio.
    dev.listen_detect("what is the weather like today");
    dev.listen_detect("hello xiaozhi");
    dev.send_opus(std::string("\x78\x01\x02\x03", 4));
    seen.hello_then_closed = hello && co_await dev.wait_closed(30s);
    for (const auto& m : dev.messages()) seen.messages.push_back(m.json);
    seen.turns = dev.turns();
    seen.rate = dev.downlink_rate();
    co_return seen;
  }());
  ASSERT_EQ(r.code.size(), 6u);
  EXPECT_TRUE(r.hello_then_closed) << "hello answered, then closed after the prompt";
  // Exactly the prompt: no reply to the question, no greeting for the wake word.
  const std::string shown = "Open the control panel and enter this code " + r.code;
  std::vector<std::string> got;
  for (const auto& m : r.messages) {
    std::string t = m.value("type", "") + ":" + m.value("state", "");
    if (m.contains("text")) t += ":" + m.value("text", "");
    got.push_back(t);
  }
  const std::vector<std::string> expected = {"hello:", "stt::" + shown, "tts:start", "tts:sentence_start:" + shown,
                                             "tts:stop"};
  EXPECT_EQ(got, expected);
  // The audio: the message, then six digits each on its own, seconds of it.
  const xz::sim::TurnRecord* spoken = nullptr;
  for (const auto& t : r.turns)
    if (t.tts_start_at) spoken = &t;
  ASSERT_NE(spoken, nullptr);
  EXPECT_EQ(spoken->undecodable_frames, 0);
  const double seconds = static_cast<double>(spoken->samples) / r.rate;
  EXPECT_GT(seconds, 3.0) << spoken->frames << " frames";
  std::printf("activation prompt: %d frames, %.1f s of audio\n", spoken->frames, seconds);
  EXPECT_EQ(fake.request_count(), 0u);
}

TEST(EdgeActivation, DeviceThatNeverCheckedOtaGetsACodeThenTalksOnceBound) {
  FakeOpenAi fake;
  TestServer server(with_llm(fake, {{"server.activation.enabled", true}}));
  ClientLoop loop;
  const std::string device = "02:00:00:00:0e:12";
  auto told = loop.run([&]() -> Task<std::string> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex, profile(device));
    co_await dev.connect(opts(server));  // no OTA check first
    co_await dev.wait_closed(30s);
    co_return dev.turns().empty() ? "" : dev.turns()[0].stt_text;
  }());
  std::smatch m;
  ASSERT_TRUE(std::regex_search(told, m, std::regex("[0-9]{6}$"))) << told;
  const std::string code = m.str();

  // Recorded: its OTA check now carries the same code, and the operator can bind it.
  auto ota = loop.run([&]() -> Task<json> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex, profile(device));
    co_return co_await dev.check_ota(server.http_url("/xiaozhi/ota/"));
  }());
  EXPECT_EQ(ota["activation"].value("code", ""), code) << ota.dump();
  auto bind = xz::test::http_request(server.http_port(), "POST", "/api/devices/bind", json{{"code", code}}.dump(),
                                     {{"Authorization", std::string("Bearer ") + kAdminToken},
                                      {"Content-Type", "application/json"}});
  ASSERT_EQ(bind.status, 200) << bind.body;

  // Bound: a normal conversation.
  bool answered = loop.run([&]() -> Task<bool> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex, profile(device));
    co_await dev.connect(opts(server));
    co_await dev.wait_hello(3s);
    dev.listen_detect("what is the weather like today");
    co_return (co_await dev.wait_type("tts", "stop", 20s)).has_value();
  }());
  EXPECT_TRUE(answered);
  EXPECT_GE(fake.request_count(), 1u) << "a bound device reaches the LLM";
}

TEST(EdgeActivation, AllowedDevicesNeedNoActivation) {
  FakeOpenAi fake;
  TestServer server(with_llm(fake, {{"server.activation.enabled", true},
                                    {"server.auth.allowed_devices", json::array({"02:00:00:00:0E:13"})}}));
  ClientLoop loop;
  auto r = loop.run([&]() -> Task<std::pair<json, bool>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex, profile("02:00:00:00:0e:13"));
    json ota = co_await dev.check_ota(server.http_url("/xiaozhi/ota/"));
    co_await dev.connect(opts(server));
    co_await dev.wait_hello(3s);
    dev.listen_detect("what is the weather like today");
    co_return std::make_pair(ota, (co_await dev.wait_type("tts", "stop", 20s)).has_value());
  }());
  EXPECT_FALSE(r.first.contains("activation")) << r.first.dump();
  EXPECT_TRUE(r.second);
  EXPECT_GE(fake.request_count(), 1u);
}

// ---------------------------------------------------------------- identity and tokens

class EdgeAuth : public ::testing::Test {
 protected:
  TestServer server{{{"server.auth.enabled", true}, {"server.auth_key", kAuthKey}}};
  ClientLoop loop;

  std::int64_t now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  // Connects as device/client with `token`: whether a hello came back, and the alert.
  std::pair<bool, std::string> attempt(const std::string& device, const std::string& client, const std::string& token) {
    return loop.run([&]() -> Task<std::pair<bool, std::string>> {
      auto ex = co_await boost::asio::this_coro::executor;
      SimDevice dev(ex, profile(device, client));
      co_await dev.connect(opts(server, token));
      auto h = co_await dev.wait_hello(3s);
      std::string alert;
      for (const auto& msg : dev.messages())
        if (msg.json.value("type", "") == "alert") alert = msg.json.value("message", "");
      co_return std::make_pair(h.has_value(), alert);
    }());
  }
};

TEST_F(EdgeAuth, ATokenWorksOnlyForItsDeviceAndItsClient) {
  const std::string token = xz::protocol::make_device_token(kAuthKey, "client-a", "02:00:00:00:0e:20", now());
  EXPECT_TRUE(attempt("02:00:00:00:0e:20", "client-a", token).first);
  auto other_device = attempt("02:00:00:00:0e:21", "client-a", token);
  EXPECT_FALSE(other_device.first);
  EXPECT_NE(other_device.second.find("invalid token"), std::string::npos) << other_device.second;
  auto other_client = attempt("02:00:00:00:0e:20", "client-b", token);
  EXPECT_FALSE(other_client.first);
  EXPECT_NE(other_client.second.find("invalid token"), std::string::npos) << other_client.second;
}

TEST_F(EdgeAuth, IdsThatCouldShiftTheTokensSeparatorAreRefused) {
  // "a|b" + "c" would sign like "a" + "b|c": a token for one pair would open another.
  const std::string token = xz::protocol::make_device_token(kAuthKey, "x", "y|02:00:00:00:0e:22", now());
  auto shifted = attempt("02:00:00:00:0e:22", "x|y", token);
  EXPECT_FALSE(shifted.first);
  EXPECT_NE(shifted.second.find("Client-Id"), std::string::npos) << shifted.second;
  auto bad_device = attempt("y|02:00:00:00:0e:22", "x", token);
  EXPECT_FALSE(bad_device.first);
  EXPECT_NE(bad_device.second.find("Device-Id"), std::string::npos) << bad_device.second;
}

TEST(EdgeIdentity, ClientIdIsValidatedOnTheWebSocketAsAtOta) {
  TestServer server;
  ClientLoop loop;
  for (const std::string& bad : {std::string("has space"), std::string(129, 'c'), std::string("a|b")}) {
    bool hello = loop.run([&]() -> Task<bool> {
      auto ex = co_await boost::asio::this_coro::executor;
      SimDevice dev(ex, profile("02:00:00:00:0e:30", bad));
      co_await dev.connect(opts(server));
      co_return (co_await dev.wait_hello(2s)).has_value();
    }());
    EXPECT_FALSE(hello) << "Client-Id '" << bad << "'";
    auto ota = xz::test::http_request(server.http_port(), "POST", "/xiaozhi/ota/", "{}",
                                      {{"Device-Id", "02:00:00:00:0e:30"}, {"Client-Id", bad}});
    EXPECT_EQ(ota.status, 400) << "OTA, Client-Id '" << bad << "': " << ota.body;
  }
}

// ---------------------------------------------------------------- proxy headers

namespace {
// The remote_ip the operator API shows for a device that connected with X-Real-IP.
std::string address_seen(TestServer& server, ClientLoop& loop, const std::string& device) {
  return loop.run([&]() -> Task<std::string> {
    xz::net::WsClientOptions o;
    o.headers = {{"Device-Id", device}, {"Client-Id", "c"}, {"X-Real-IP", "203.0.113.7"},
                 {"X-Forwarded-For", "198.51.100.9"}};
    auto ws = co_await xz::net::ws_connect(server.ws_url(), o);
    ws->send_text(R"({"type":"hello","version":1,"transport":"websocket"})");
    co_await ws->read();  // the server hello: the session is registered
    auto r = xz::test::http_request(server.http_port(), "GET", "/api/devices/online", "",
                                    {{"Authorization", std::string("Bearer ") + kAdminToken}});
    ws->close();
    const json online = json::parse(r.body);
    for (const auto& d : online["devices"])
      if (d.value("device_id", "") == device) co_return d.value("remote_ip", "");
    co_return "(not listed: " + r.body + ")";
  }());
}
}  // namespace

TEST(EdgeProxy, ForwardedAddressesAreBelievedOnlyFromTrustedProxies) {
  ClientLoop loop;
  {
    TestServer server(Overrides{{"server.admin_token", kAdminToken}});
    EXPECT_EQ(address_seen(server, loop, "02:00:00:00:0e:40"), "127.0.0.1") << "anyone can write X-Real-IP";
  }
  {
    TestServer server(Overrides{{"server.admin_token", kAdminToken},
                                {"server.trusted_proxies", json::array({"127.0.0.0/8"})}});
    EXPECT_EQ(address_seen(server, loop, "02:00:00:00:0e:41"), "203.0.113.7");
  }
}

// ---------------------------------------------------------------- connection caps

namespace {
bool closed_at_once(RawConnection& c) { return c.read_for(400ms).closed; }

// The server notices closed clients on its next read; wait until `port` accepts again.
bool accepts_again(unsigned short port) {
  for (int i = 0; i < 100; ++i) {
    RawConnection c(port);
    if (!closed_at_once(c)) return true;
  }
  return false;
}
}  // namespace

TEST(EdgeCaps, PerAddressCapCoversBothPortsAndReopensBelowIt) {
  TestServer server({{"server.connections.max_per_ip", 3},
                     {"server.connections.per_ip_exempt", json::array()},
                     {"server.admin_token", kAdminToken}});
  std::vector<RawConnection> held;
  held.emplace_back(server.http_port());
  held.emplace_back(server.http_port());
  held.emplace_back(server.ws_port());
  for (auto& c : held) EXPECT_FALSE(closed_at_once(c)) << "within the cap";
  RawConnection ws_over(server.ws_port());
  EXPECT_TRUE(closed_at_once(ws_over)) << "the fourth from this address, WebSocket port";
  RawConnection http_over(server.http_port());
  EXPECT_TRUE(closed_at_once(http_over)) << "the fourth from this address, HTTP port";

  held.pop_back();
  ASSERT_TRUE(accepts_again(server.ws_port()));
  held.clear();
  ASSERT_TRUE(accepts_again(server.http_port()));
  EXPECT_GE(server.metric("xiaozhi_connections_refused_total{cap=\"per_ip\"}"), 2);
}

TEST(EdgeCaps, GlobalCapRefusesOverItAndReopensBelowIt) {
  TestServer server({{"server.connections.max_total", 2}});
  std::vector<RawConnection> held;
  held.emplace_back(server.ws_port());
  held.emplace_back(server.http_port());
  for (auto& c : held) EXPECT_FALSE(closed_at_once(c));
  RawConnection over(server.http_port());
  EXPECT_TRUE(closed_at_once(over)) << "loopback is exempt from the per-address cap, not from this one";
  held.clear();
  ASSERT_TRUE(accepts_again(server.http_port()));
  EXPECT_EQ(xz::test::http_request(server.http_port(), "GET", "/health").status, 200);
}

// ---------------------------------------------------------------- endless and stalled requests

TEST(EdgeBodies, EndlessOtaBodiesCostOnlyTheirConnection) {
  TestServer server;
  // Declared: refused on the header.
  RawConnection declared(server.http_port());
  declared.send("POST /xiaozhi/ota/ HTTP/1.1\r\nHost: x\r\nDevice-Id: 02:00:00:00:0e:50\r\n"
                "Content-Length: 10000000000\r\n\r\n");
  EXPECT_EQ(RawConnection::status_of(declared.read_for(3s, "\r\n\r\n").data), 413);
  // Chunked and endless: cut at 64 KiB.
  RawConnection chunked(server.http_port());
  chunked.send("POST /xiaozhi/ota/ HTTP/1.1\r\nHost: x\r\nDevice-Id: 02:00:00:00:0e:50\r\n"
               "Transfer-Encoding: chunked\r\n\r\n");
  std::size_t sent = 0;
  const std::string piece = "4000\r\n" + std::string(0x4000, ' ') + "\r\n";
  const auto t0 = std::chrono::steady_clock::now();
  while (chunked.send(piece) && std::chrono::steady_clock::now() - t0 < 20s) sent += piece.size();
  EXPECT_LT(sent, 32u * 1024 * 1024) << "the body was not cut";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  // Vision uploads without a token are refused on the header, before 5 MB are read.
  RawConnection vision(server.http_port());
  vision.send("POST /mcp/vision/explain HTTP/1.1\r\nHost: x\r\nDevice-Id: 02:00:00:00:0e:50\r\n"
              "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 5000000\r\n\r\n");
  EXPECT_EQ(RawConnection::status_of(vision.read_for(3s, "\r\n\r\n").data), 401);
  EXPECT_EQ(xz::test::http_request(server.http_port(), "GET", "/health").status, 200);
}

TEST(EdgeLoad, ThousandStalledConnectionsCostOnlyThemselves) {
  const auto fd = xz::core::raise_fd_limit();
  if (xz::core::connection_capacity(fd) < 2600) GTEST_SKIP() << "needs about 2,600 descriptors: " << describe(fd);
  TestServer server({{"server.handshake_timeout_seconds", 4}, {"server.http_body_timeout_seconds", 4}});
  std::vector<RawConnection> stalled;
  stalled.reserve(1000);
  const std::string ws_host = "127.0.0.1:" + std::to_string(server.ws_port());
  for (int i = 0; i < 1000; ++i) {
    if (i % 10 < 4) {  // half a header on the HTTP port
      stalled.emplace_back(server.http_port());
      stalled.back().send("GET /health HTTP/1.1\r\nHost: x\r\n");
    } else if (i % 10 < 7) {  // an OTA check whose body never comes
      stalled.emplace_back(server.http_port());
      stalled.back().send("POST /xiaozhi/ota/ HTTP/1.1\r\nHost: x\r\nDevice-Id: 02:00:00:00:0e:60\r\n"
                          "Content-Length: 60000\r\n\r\n{\"version\":");
    } else {  // half an upgrade on the WebSocket port
      stalled.emplace_back(server.ws_port());
      stalled.back().send("GET /xiaozhi/v1/ HTTP/1.1\r\nHost: " + ws_host + "\r\nUpgrade: websocket\r\n");
    }
  }
  std::vector<double> ms;
  for (int i = 0; i < 200; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = xz::test::http_request(server.http_port(), "GET", "/health");
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    ASSERT_EQ(r.status, 200);
  }
  std::sort(ms.begin(), ms.end());
  const double p50 = ms[ms.size() / 2], p99 = ms[ms.size() * 99 / 100], worst = ms.back();
  std::printf("/health under 1,000 stalled connections: p50 %.2f ms, p99 %.2f ms, max %.2f ms (200 requests)\n",
              p50, p99, worst);
  EXPECT_LT(p99, 200.0);

  // Devices still connect.
  ClientLoop loop;
  bool hello = loop.run([&]() -> Task<bool> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    ConnectOptions o;
    o.url = server.ws_url();
    co_await dev.connect(o);
    co_return (co_await dev.wait_hello(5s)).has_value();
  }());
  EXPECT_TRUE(hello);

  // The deadlines end every stalled connection.
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t closed = 0;
  for (auto& c : stalled) closed += c.read_for(10s).closed ? 1 : 0;
  EXPECT_EQ(closed, stalled.size());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 12s);
}
