// Hostile devices against the default configuration: ping floods, absurdly deep JSON,
// audio faster than real time, loops of listen messages and turns, thousands of tools.
// Each costs at most its own connection (or its excess is dropped, counted and logged),
// and the server goes on serving everyone else. The real server and xiaozhi-sim, or raw
// bytes where a test must send what no firmware would; the LLM is the local fake.
#include <chrono>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "audio/opus_encoder.h"
#include "net/ws_frame.h"
#include "sim/sim_device.h"
#include "support/child_process.h"
#include "support/fake_openai.h"
#include "support/speech.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;
using xz::test::TestServer;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Opcode = xz::net::ws::Opcode;

namespace {

constexpr const char* kAdminToken = "hostile-device-test-admin-token-0123456789";

std::vector<std::pair<std::string, json>> llm_at(const FakeOpenAi& fake,
                                                 std::vector<std::pair<std::string, json>> more = {}) {
  std::vector<std::pair<std::string, json>> o = {{"LLM.OpenAILLM.base_url", fake.url()},
                                                 {"LLM.OpenAILLM.api_key", "sk-test"},
                                                 {"server.admin_token", kAdminToken}};
  for (auto& m : more) o.push_back(std::move(m));
  return o;
}

FakeReply says(std::string text) {
  FakeReply r;
  r.tokens = {std::move(text)};
  return r;
}

// Resident memory of this process (the server runs in it).
std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// Connects, says hello, sends `text` as typed input and waits for the reply to end.
// The reply's sentences; empty when there was none.
Task<std::vector<std::string>> typed_turn(std::string url, std::string text) {
  // Its own statement: g++ 12 mis-copies a temporary (the default profile)
  // made in a full-expression that also has a co_await.
  auto ex = co_await asio::this_coro::executor;
  SimDevice dev(ex);
  ConnectOptions o;
  o.url = url;
  co_await dev.connect(o);
  if (!co_await dev.wait_hello()) co_return std::vector<std::string>{};
  dev.listen_detect(std::move(text));
  if (!co_await dev.wait_type("tts", "stop", 20s)) co_return std::vector<std::string>{};
  co_return dev.turns().empty() ? std::vector<std::string>{} : dev.turns().back().sentences;
}

// A device that writes raw bytes from the test's thread: the upgrade and hello as the
// firmware sends them, then whatever frames the test builds. It reads only when asked,
// so with a small receive buffer it is a peer that does not read.
class RawDevice {
 public:
  explicit RawDevice(unsigned short port, int receive_buffer = 0) {
    socket_.open(tcp::v4());
    if (receive_buffer > 0) socket_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    socket_.set_option(tcp::no_delay(true));
    send("GET /xiaozhi/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nDevice-Id: " +
         xz::sim::random_mac() + "\r\nClient-Id: " + xz::sim::random_uuid() + "\r\nProtocol-Version: 1\r\n\r\n");
    const std::size_t end = asio::read_until(socket_, asio::dynamic_buffer(in_), "\r\n\r\n");
    if (in_.rfind("HTTP/1.1 101", 0) != 0) throw std::runtime_error("upgrade refused: " + in_.substr(0, end));
    in_.erase(0, end);
    send(text_frame(R"({"type":"hello","version":1,"transport":"websocket","features":{"mcp":false},)"
                    R"("audio_params":{"format":"opus","sample_rate":16000,"channels":1,"frame_duration":60}})"));
    for (;;) {
      auto m = json::parse(read_text(), nullptr, false);
      if (m.is_object() && m.value("type", "") == "hello") break;
    }
  }

  static std::string frame(Opcode op, std::string payload) {
    const xz::net::ws::MaskKey key{0x5a, 0x13, 0xc4, 0x7e};
    auto h = xz::net::ws::encode_frame_header(op, true, payload.size(), &key);
    xz::net::ws::apply_mask(payload, key, 0);
    return std::string(h.view().begin(), h.view().end()) + payload;
  }
  static std::string text_frame(std::string text) { return frame(Opcode::text, std::move(text)); }

  void send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // False once the server has dropped the connection.
  bool try_send(std::string_view bytes) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
    return !ec;
  }
  // The payload of the next text message (other frames are skipped).
  std::string read_text() {
    for (;;) {
      auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(in_.data()), in_.size());
      auto p = xz::net::ws::parse_frame_header(bytes);
      if (p.status == xz::net::ws::ParseStatus::invalid) throw std::runtime_error("invalid frame from the server");
      if (p.status == xz::net::ws::ParseStatus::ok && in_.size() >= p.header.header_bytes + p.header.payload_bytes) {
        std::string payload = in_.substr(p.header.header_bytes, p.header.payload_bytes);
        in_.erase(0, p.header.header_bytes + p.header.payload_bytes);
        if (p.header.opcode == Opcode::text) return payload;
        continue;
      }
      char buf[4096];
      in_.append(buf, socket_.read_some(asio::buffer(buf)));
    }
  }

 private:
  asio::io_context io_;
  tcp::socket socket_{io_};
  std::string in_;
};

}  // namespace

// WebSocket pings from a device that never reads: each wants a pong, and once the socket
// buffers are full nothing more can be written. One pong waits at most, so 64 MB of
// pings cost the server no memory to speak of, while another device talks undisturbed.
TEST(HostileDevice, APingFrameFloodCostsNoMemoryAndNobodyElse) {
  FakeOpenAi fake;
  fake.set_default_reply([](const json&) { return says("Still here."); });
  TestServer server(llm_at(fake));
  ClientLoop loop;
  const std::string url = server.ws_url();
  ASSERT_EQ(loop.run(typed_turn(url, "warm up")), std::vector<std::string>{"Still here."});

  RawDevice flooder(server.ws_port(), 4096);
  const std::size_t rss_before = resident_bytes();
  int rounds_sent = 0;
  std::thread flood([&] {
    std::string burst;
    for (int i = 0; i < 8000; ++i) burst += RawDevice::frame(Opcode::ping, std::string(125, static_cast<char>('a' + i % 26)));
    while (rounds_sent < 64 && flooder.try_send(burst)) ++rounds_sent;  // 8000 pings of 131 bytes a round
  });
  auto during = loop.run(typed_turn(url, "are you there"));
  const auto t0 = std::chrono::steady_clock::now();
  auto health = xz::test::http_request(server.http_port(), "GET", "/health");
  const auto health_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  flood.join();
  const std::size_t rss_after = resident_bytes();

  EXPECT_EQ(during, std::vector<std::string>{"Still here."}) << "another device's turn during the flood";
  EXPECT_EQ(health.status, 200);
  EXPECT_LT(health_ms, 1000ms);
  EXPECT_EQ(rounds_sent, 64) << "the flood was read to the end (a bounded connection may stay open)";
  const double grew_mb = (static_cast<double>(rss_after) - static_cast<double>(rss_before)) / (1024.0 * 1024.0);
  EXPECT_LT(grew_mb, 24.0) << "pongs for 64 MB of pings piled up in memory";
}

// {"type":"ping"} with enable_websocket_ping on, from a device that never reads: every
// pong is queued until the send bound, then that connection, and only it, is closed.
TEST(HostileDevice, AJsonPingFloodCostsOnlyThatConnection) {
  FakeOpenAi fake;
  fake.set_default_reply([](const json&) { return says("Still here."); });
  TestServer server(llm_at(fake, {{"enable_websocket_ping", true}}));
  ClientLoop loop;
  const std::string url = server.ws_url();

  RawDevice flooder(server.ws_port(), 4096);
  int rounds_sent = 0;
  std::thread flood([&] {
    std::string burst;
    for (int i = 0; i < 20000; ++i) burst += RawDevice::text_frame(R"({"type":"ping"})");
    while (rounds_sent < 200 && flooder.try_send(burst)) ++rounds_sent;  // up to 4 M pings
  });
  auto during = loop.run(typed_turn(url, "are you there"));
  flood.join();
  auto health = xz::test::http_request(server.http_port(), "GET", "/health");

  EXPECT_LT(rounds_sent, 200) << "the server kept answering pings to a peer that reads none";
  EXPECT_EQ(during, std::vector<std::string>{"Still here."}) << "another device's turn during the flood";
  EXPECT_EQ(health.status, 200);
}

// JSON nested 25,000 deep (50 KB, under the message limit) costs that message only: the
// session answers the next valid one.
TEST(HostileDevice, TwentyFiveThousandDeepJsonCostsOnlyThatMessage) {
  FakeOpenAi fake;
  fake.set_default_reply([](const json&) { return says("Still here."); });
  TestServer server(llm_at(fake));
  ClientLoop loop;
  const std::string url = server.ws_url();
  auto reply = loop.run([&]() -> Task<std::pair<std::vector<std::string>, bool>> {
    auto ex = co_await asio::this_coro::executor;
    SimDevice dev(ex);
    ConnectOptions o;
    o.url = url;
    co_await dev.connect(o);
    EXPECT_TRUE(co_await dev.wait_hello());
    const std::string deep = std::string(25000, '[') + std::string(25000, ']');
    dev.send_text(deep);
    dev.send_text(R"({"type":"listen","state":"detect","text":)" + deep + "}");
    dev.listen_detect("are you there");
    bool stopped = (co_await dev.wait_type("tts", "stop", 20s)).has_value();
    co_return std::make_pair(dev.turns().empty() ? std::vector<std::string>{} : dev.turns().back().sentences,
                             stopped && dev.connected());
  }());
  EXPECT_TRUE(reply.second) << "the session must survive and answer";
  EXPECT_EQ(reply.first, std::vector<std::string>{"Still here."});
}

// Audio sent flat out: 60 s of Opus in well under a second. What passes is at most twice
// real time over the window (a 2 s window: a burst of 4 s, then 2x the clock); the rest
// is dropped before decoding and counted.
TEST(HostileDevice, UplinkAudioIsAcceptedUpToTwiceRealTime) {
  FakeOpenAi fake;
  TestServer server(llm_at(fake, {{"enable_websocket_ping", true}}));
  ClientLoop loop;
  const std::string url = server.ws_url();
  constexpr int kFrames = 1000;  // 60 ms each
  auto elapsed = loop.run([&]() -> Task<std::chrono::steady_clock::duration> {
    auto ex = co_await asio::this_coro::executor;
    SimDevice dev(ex);
    ConnectOptions o;
    o.url = url;
    co_await dev.connect(o);
    EXPECT_TRUE(co_await dev.wait_hello());
    dev.listen_start("auto");
    xz::audio::OpusEncoder encoder(16000, 60, 0, xz::audio::OpusEncoder::kBitrateAuto);
    std::vector<std::int16_t> pcm(960);
    for (std::size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<std::int16_t>(static_cast<int>(i * 37 % 200) - 100);
    const std::string packet = encoder.encode(pcm);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kFrames; ++i) dev.send_opus(packet);
    // Messages are handled in order: once the pong is here, every frame has been judged.
    dev.send_text(R"({"type":"ping"})");
    EXPECT_TRUE(co_await dev.wait_type("pong", "", 10s));
    co_return std::chrono::steady_clock::now() - t0;
  }());
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const double dropped = server.metric("xiaozhi_uplink_frames_dropped_total{reason=\"over_speed\"}");
  // Accepted at most: 2x (the elapsed time + the 2 s window), in 60 ms frames.
  const double most_accepted = 2.0 * (seconds + 2.0) / 0.060 + 1;
  EXPECT_GE(dropped, kFrames - most_accepted) << "in " << seconds << " s";
  // The window's burst (4 s of audio) passes.
  EXPECT_LE(dropped, kFrames - 4.0 / 0.060 + 1);
}

// A device that starts turns in a tight loop (typed text here) gets max_turns_per_minute;
// the rest are refused before anything reaches the LLM.
TEST(HostileDevice, NewTurnsAreRateLimited) {
  FakeOpenAi fake;
  fake.set_default_reply([](const json&) { return says("Fine."); });
  TestServer server(llm_at(fake, {{"max_turns_per_minute", 3}}));
  ClientLoop loop;
  const std::string url = server.ws_url();
  loop.run([&]() -> Task<void> {
    auto ex = co_await asio::this_coro::executor;
    SimDevice dev(ex);
    ConnectOptions o;
    o.url = url;
    co_await dev.connect(o);
    EXPECT_TRUE(co_await dev.wait_hello());
    for (int i = 0; i < 10; ++i) dev.listen_detect("question " + std::to_string(i));
    dev.send_text(R"({"type":"listen","state":"detect","text":"last"})");
    // The third turn is the last one admitted; it runs to its end.
    std::function<bool(const json&)> third = [](const json& m) {
      return m.value("type", "") == "stt" && m.value("text", "") == "question 2";
    };
    EXPECT_TRUE(co_await dev.wait_for(std::move(third), 10s));
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s));
  }());
  EXPECT_EQ(server.metric("xiaozhi_turns_total"), 3);
  EXPECT_EQ(server.metric("xiaozhi_turns_refused_total"), 8);
}

// listen messages in a burst (one write, handled without the listener running in
// between): at most max_queued_listen_messages wait; the rest are dropped and counted,
// and the session goes on.
TEST(HostileDevice, AListenMessageBurstIsBounded) {
  FakeOpenAi fake;
  fake.set_default_reply([](const json&) { return says("Fine."); });
  TestServer server(llm_at(fake));
  RawDevice dev(server.ws_port());
  std::string burst;
  for (int i = 0; i < 500; ++i) {
    burst += RawDevice::text_frame(R"({"type":"listen","state":"start","mode":"manual"})");
    burst += RawDevice::text_frame(R"({"type":"listen","state":"stop"})");
  }
  dev.send(burst);
  dev.send(RawDevice::text_frame(R"({"type":"listen","state":"detect","text":"still there"})"));
  for (;;) {
    auto m = json::parse(dev.read_text(), nullptr, false);
    if (m.is_object() && m.value("type", "") == "tts" && m.value("state", "") == "stop") break;
  }
  const double dropped = server.metric("xiaozhi_listen_messages_dropped_total");
  EXPECT_GE(dropped, 100) << "listen messages piled up in the listener's queue";
  EXPECT_LE(dropped, 1001 - 16) << "the burst and the detect's reset, less what waited";
}

// Push-to-talk held down: the utterance is cut at max_utterance_ms and recognised, as in
// auto mode, without waiting for a listen stop that may never come.
TEST(HostileDevice, APushToTalkUtteranceIsCutAtMaxUtterance) {
  FakeOpenAi fake;
  fake.set_default_reply([](const json&) { return says("Heard you."); });
  TestServer server(llm_at(fake, {{"max_utterance_ms", 1500}}));
  ClientLoop loop;
  const std::string url = server.ws_url();
  auto stt = loop.run([&]() -> Task<std::optional<json>> {
    auto ex = co_await asio::this_coro::executor;
    SimDevice dev(ex);
    ConnectOptions o;
    o.url = url;
    co_await dev.connect(o);
    EXPECT_TRUE(co_await dev.wait_hello());
    dev.listen_start("manual");
    co_await dev.speak(xz::test::flite_speech("please turn on the light in the kitchen and then tell me a long story"),
                       1000ms);
    // No listen stop: the text must come anyway.
    co_return co_await dev.wait_type("stt", "", 5s);
  }());
  ASSERT_TRUE(stt.has_value()) << "the utterance was never cut";
  EXPECT_FALSE(stt->value("text", "").empty());
}

namespace {

// The session's tools as the operator API lists them, once `ready(tools)` holds (polled
// for up to 10 s); null when it never did.
Task<json> tools_when(const TestServer& server, std::string device_id, std::function<bool(const json&)> ready) {
  for (int attempt = 0; attempt < 500; ++attempt) {
    auto res = xz::test::http_request(server.http_port(), "GET", "/api/devices/online", {},
                                      {{"Authorization", std::string("Bearer ") + kAdminToken}});
    auto online = json::parse(res.body, nullptr, false);
    if (online.is_object())
      for (const auto& d : online["devices"])
        if (d.value("device_id", "") == device_id && d["tools"].is_object() && ready(d["tools"])) co_return d["tools"];
    co_await xz::core::sleep_for(20ms);
  }
  co_return json();
}

std::size_t count_containing(const json& names, const std::string& part) {
  std::size_t n = 0;
  for (const auto& name : names)
    if (name.is_string() && name.get<std::string>().find(part) != std::string::npos) ++n;
  return n;
}

}  // namespace

// A legacy IoT device describing 10,000 things of three tools each: the session keeps
// max_iot_things of them and max_device_tools tools.
TEST(HostileDevice, TenThousandIotThingsKeepABoundedSet) {
  FakeOpenAi fake;
  TestServer server(llm_at(fake));
  ClientLoop loop;
  const std::string url = server.ws_url();
  auto tools = loop.run([&]() -> Task<json> {
    auto ex = co_await asio::this_coro::executor;
    SimDevice dev(ex);
    ConnectOptions o;
    o.url = url;
    o.mcp = false;
    co_await dev.connect(o);
    EXPECT_TRUE(co_await dev.wait_hello());
    for (int message = 0; message < 40; ++message) {  // 250 things (~50 KB) a message
      json things = json::array();
      for (int i = 0; i < 250; ++i) {
        const std::string name = "Gadget" + std::to_string(message * 250 + i);
        things.push_back({{"name", name},
                          {"description", "a gadget"},
                          {"properties", {{"level", {{"description", "its level"}, {"type", "number"}}}}},
                          {"methods", {{"poke", {{"description", "pokes it"}, {"parameters", json::object()}}},
                                       {"prod", {{"description", "prods it"}, {"parameters", json::object()}}}}}});
      }
      dev.send_text(json{{"session_id", ""}, {"type", "iot"}, {"update", true}, {"descriptors", things}}.dump());
    }
    // The last message is handled once this exchange's reply ends.
    dev.listen_detect("hello");
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s));
    std::string id = dev.profile().device_id;
    std::function<bool(const json&)> ready = [](const json& t) { return count_containing(t["llm"], "gadget") > 0; };
    co_return co_await tools_when(server, id, ready);
  }());
  ASSERT_TRUE(tools.is_object()) << "the device's IoT tools never appeared";
  EXPECT_EQ(count_containing(tools["llm"], "gadget"), 64u) << tools["llm"].dump();
  std::set<std::string> things;
  for (const auto& name : tools["llm"]) {
    auto n = name.get<std::string>();
    auto at = n.find("gadget");
    if (at != std::string::npos) things.insert(n.substr(at, n.find('_', at) - at));
  }
  EXPECT_LE(things.size(), 32u);
}

// A device listing 10,000 MCP tools: the session keeps the first max_device_tools.
TEST(HostileDevice, TenThousandDeviceMcpToolsKeepABoundedSet) {
  FakeOpenAi fake;
  TestServer server(llm_at(fake));
  ClientLoop loop;
  const std::string url = server.ws_url();
  auto tools = loop.run([&]() -> Task<json> {
    auto ex = co_await asio::this_coro::executor;
    SimDevice dev(ex);
    for (int i = 0; i < 10000; ++i)
      dev.mcp().add_tool({"self.widget_" + std::to_string(i) + ".turn", "Turns a widget.", json::object(), false,
                          [](const json&) { return std::string("true"); }});
    ConnectOptions o;
    o.url = url;
    co_await dev.connect(o);
    EXPECT_TRUE(co_await dev.wait_hello());
    std::string id = dev.profile().device_id;
    std::function<bool(const json&)> ready = [](const json& t) { return t.value("device_mcp_ready", false); };
    co_return co_await tools_when(server, id, ready);
  }());
  ASSERT_TRUE(tools.is_object()) << "the device's MCP tools were never ready";
  EXPECT_EQ(tools["device"].size(), 64u);
}
