// Devices on MQTT + UDP served by the server itself (issue 18): the real server and
// xiaozhi-sim playing the firmware (it subscribes to nothing, checks the server hello as
// ParseServerHello does, sends and takes AES-128-CTR datagrams with its checks, drops
// audio outside `speaking`). Speech made by flite; the LLM is a local fake speaking the
// OpenAI wire protocol.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <gtest/gtest.h>

#include "audio/opus_encoder.h"
#include "net/http_client.h"
#include "net/mqtt_client.h"
#include "net/udp_audio_client.h"
#include "protocol/encoding.h"
#include "protocol/mqtt_credentials.h"
#include "protocol/udp_packet.h"
#include "protocol/uplink_opus_check.h"
#include "sim/mqtt_sim_device.h"
#include "sim/ota_check.h"
#include "support/child_process.h"
#include "support/fake_openai.h"
#include "support/speech.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::MqttConnectOptions;
using xz::sim::MqttSimDevice;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;
using xz::test::TestServer;

namespace {

constexpr const char* kKey = "mqtt-signature-key-for-tests";
constexpr const char* kAdminToken = "admin-secret-token-of-32-characters";

// A UDP port nobody uses now (the server takes it a moment later).
int free_udp_port() {
  boost::asio::io_context io;
  boost::asio::ip::udp::socket s(io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return s.local_endpoint().port();
}

struct Ports {
  int mqtt = xz::test::free_port();
  int udp = free_udp_port();
};

std::vector<std::pair<std::string, json>> mqtt_config(const FakeOpenAi& llm, const Ports& ports) {
  return {{"LLM.OpenAILLM.base_url", llm.url()},
          {"LLM.OpenAILLM.api_key", "sk-test"},
          {"server.admin_token", kAdminToken},
          {"server.mqtt_signature_key", kKey},
          {"server.mqtt.enabled", true},
          {"server.mqtt.port", ports.mqtt},
          {"server.mqtt.udp_port", ports.udp},
          {"server.mqtt.public_host", "127.0.0.1"}};
}

// What the OTA answer issues (protocol::make_mqtt_credentials is what OTA uses).
MqttConnectOptions mqtt_options(const Ports& ports, const MqttSimDevice& dev, std::string password = {}) {
  auto cred = xz::protocol::make_mqtt_credentials(kKey, dev.profile().board, dev.profile().device_id,
                                                  xz::protocol::mqtt_user_data("unknown"));
  MqttConnectOptions o;
  o.mqtt = xz::sim::MqttSettings{"127.0.0.1:" + std::to_string(ports.mqtt), cred.client_id, cred.username,
                                 password.empty() ? cred.password : password};
  return o;
}

std::vector<std::string> tokens_of(const std::string& text, std::size_t n = 4) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size(); i += n) out.push_back(text.substr(i, n));
  return out;
}

Task<xz::net::HttpClientResponse> admin(xz::net::HttpClient& http, const TestServer& s, std::string method,
                                        std::string path, json body = nullptr) {
  xz::net::HttpClientRequest req;
  req.method = std::move(method);
  req.url = s.http_url(path);
  req.headers = {{"Authorization", std::string("Bearer ") + kAdminToken}};
  if (!body.is_null()) {
    req.headers.push_back({"Content-Type", "application/json"});
    req.body = body.dump();
  }
  co_return co_await http.request(std::move(req));
}

// The device's entry in the push API's online list, or null.
Task<json> online_entry(xz::net::HttpClient& http, const TestServer& s, const std::string& device_id) {
  auto res = co_await admin(http, s, "GET", "/api/devices/online");
  json j = json::parse(res.body, nullptr, false);
  if (j.is_object())
    for (const auto& d : j["devices"])
      if (d.value("device_id", "") == device_id) co_return d;
  co_return nullptr;
}

// Polls the online list until the device's entry satisfies pred: nothing on the wire
// marks a session's end in the registry.
Task<json> wait_online(xz::net::HttpClient& http, const TestServer& s, const std::string& device_id,
                       std::function<bool(const json&)> pred) {
  json last;
  for (int i = 0; i < 250; ++i) {
    last = co_await online_entry(http, s, device_id);
    if (!last.is_null() && pred(last)) co_return last;
    co_await xz::core::sleep_for(20ms);
  }
  co_return last;
}

}  // namespace

TEST(MqttDevice, SpokenTurnBargeInGoodbyeIdlePushAndASecondConversation) {
  FakeOpenAi fake;
  const std::string answer = "It is sunny and warm today.";
  const std::string story =
      "Once upon a time there was a little robot who lived by the sea. Every morning it counted the waves. "
      "Every evening it counted the stars. One day it met a seagull who could not count at all.";
  fake.push_reply({.tokens = tokens_of(answer)});
  fake.push_reply({.tokens = tokens_of(story)});
  fake.push_reply({.tokens = tokens_of("Hello again.")});
  Ports ports;
  TestServer server(mqtt_config(fake, ports));
  ClientLoop loop;

  loop.run([&]() -> Task<void> {
    auto ex = co_await boost::asio::this_coro::executor;
    MqttSimDevice dev(ex);
    xz::net::HttpClient http;
    const std::string id = dev.profile().device_id;
    // OTA -> MQTT: the device logs in with what the OTA answer hands it, as the firmware does.
    auto ota = co_await xz::sim::check_ota(http, server.http_url("/xiaozhi/ota/"), dev.profile());
    auto issued = xz::sim::mqtt_settings_from_ota(ota.body);
    EXPECT_TRUE(issued.has_value()) << "no mqtt block in the OTA answer: " << ota.body.dump();
    if (!issued) co_return;
    EXPECT_EQ(issued->endpoint, "127.0.0.1:" + std::to_string(ports.mqtt));
    MqttConnectOptions issued_options;
    issued_options.mqtt = *issued;
    co_await dev.connect(issued_options);

    // The server hello as §4.2 has it; the simulator took it (its checks passed).
    auto hello = co_await dev.wait_hello(5s);
    EXPECT_TRUE(hello.has_value()) << "no valid server hello over MQTT";
    if (!hello) co_return;
    EXPECT_EQ((*hello)["transport"], "udp");
    EXPECT_EQ((*hello)["udp"]["server"], "127.0.0.1");
    EXPECT_EQ((*hello)["udp"]["port"], ports.udp);
    EXPECT_EQ((*hello)["udp"]["encryption"], "aes-128-ctr");
    EXPECT_EQ((*hello)["udp"]["key"].get<std::string>().size(), 32u);
    EXPECT_EQ((*hello)["udp"]["nonce"].get<std::string>().size(), 32u);
    EXPECT_EQ((*hello)["audio_params"]["sample_rate"], 24000);
    const std::string first_session = dev.session_id();
    EXPECT_FALSE(first_session.empty());

    // A spoken turn: speech up over UDP, stt, and reply audio down over UDP, decoded.
    dev.listen_start("auto");
    co_await dev.speak(xz::test::flite_speech("what is the weather like today"));
    auto stop = co_await dev.wait_type("tts", "stop", 30s);
    EXPECT_TRUE(stop.has_value()) << "no tts stop for the spoken turn";
    EXPECT_FALSE(dev.turns().empty());
    if (dev.turns().empty()) co_return;
    {
      const auto& t = dev.turns().back();
      EXPECT_NE(t.stt_text.find("weather"), std::string::npos) << "stt: " << t.stt_text;
      EXPECT_EQ(t.sentences, std::vector<std::string>{answer});
      EXPECT_GT(t.frames, 10) << "reply audio over UDP";
      EXPECT_EQ(t.undecodable_frames, 0);
      EXPECT_EQ(dev.frames_outside_speaking(), 0) << "audio arrived before tts start was taken";
    }

    // A replayed datagram and forged ones (no key: they decrypt to noise) are ignored.
    auto* udp = dev.udp();
    EXPECT_NE(udp, nullptr);
    if (!udp) co_return;
    const std::string key = xz::protocol::hex_decode((*hello)["udp"]["key"].get<std::string>()).value_or("");
    xz::audio::OpusEncoder enc(16000, 60, 0, xz::audio::OpusEncoder::kBitrateAuto);
    const std::vector<std::int16_t> quiet(960, 0);
    const std::string opus = enc.encode(quiet);
    udp->send_raw(udp->make_datagram(opus, 0, 1));  // sequence 1 was taken long ago
    xz::net::UdpAudioClientConfig forger_cfg{"127.0.0.1", static_cast<std::uint16_t>(ports.udp), "",
                                             (*hello)["udp"]["nonce"].get<std::string>()};
    int forged = 0;
    for (std::uint32_t seq = udp->last_sent_sequence() + 1; forged < 3; ++seq) {
      forger_cfg.key_hex = xz::protocol::hex_encode(xz::protocol::random_bytes(16));
      xz::net::UdpAudioClient forger(ex, forger_cfg, nullptr);
      std::string d = forger.make_datagram(opus, 0, seq);
      auto plain = xz::protocol::decrypt_udp_packet(key, d, nullptr);
      if (plain && xz::protocol::plausible_uplink_opus(plain->opus, 60ms)) continue;  // ~1 %: would pass
      udp->send_raw(d);
      ++forged;
    }

    // Barge-in: a long reply, interrupted at its first sentence.
    dev.listen_detect("tell me a long story");
    auto sentence = co_await dev.wait_type("tts", "sentence_start", 20s);
    EXPECT_TRUE(sentence.has_value());
    const auto abort_at = xz::sim::Clock::now();
    dev.abort("wake_word_detected");
    auto stopped = co_await dev.wait_type("tts", "stop", 10s);
    EXPECT_TRUE(stopped.has_value()) << "abort did not stop the reply";
    EXPECT_LT(xz::sim::Clock::now() - abort_at, 2s) << "the story must not be spoken to its end";
    EXPECT_LT(dev.turns().back().sentences.size(), 4u);

    // The device's goodbye ends the conversation, not the MQTT connection: it is online, idle.
    dev.goodbye();
    auto idle = co_await wait_online(http, server, id, [](const json& d) { return d.value("state", "") == "idle"; });
    EXPECT_EQ(idle.value("transport", ""), "mqtt") << idle.dump();
    EXPECT_EQ(idle.value("state", ""), "idle") << idle.dump();
    EXPECT_TRUE(dev.mqtt_connected());
    EXPECT_EQ(server.metric("xiaozhi_transport_sessions{transport=\"mqtt\"}"), 0);
    EXPECT_EQ(server.metric("xiaozhi_online_devices{transport=\"mqtt\"}"), 1);

    // Push while idle: no audio channel, so speak shows the text (and says so).
    const json speak_body = {{"text", "Dinner is ready"}};
    auto spoke = co_await admin(http, server, "POST", "/api/devices/" + id + "/speak", speak_body);
    EXPECT_EQ(spoke.status, 200) << spoke.body;
    EXPECT_EQ(json::parse(spoke.body, nullptr, false).value("delivered", ""), "alert") << spoke.body;
    auto alert = co_await dev.wait_type("alert", "", 5s);
    EXPECT_TRUE(alert.has_value());
    if (alert) {
      EXPECT_EQ((*alert)["message"], "Dinner is ready");
      EXPECT_TRUE((*alert)["status"].is_string() && (*alert)["emotion"].is_string());
    }

    // Its MCP tools are listed and callable while idle (the server's own MCP client for
    // idle devices; its request ids never collide with a conversation's).
    auto listed = co_await wait_online(http, server, id, [](const json& d) {
      return d["tools"].is_object() && d["tools"].value("device_mcp_ready", false);
    });
    EXPECT_TRUE(listed["tools"].is_object() && !listed["tools"]["device"].empty()) << listed.dump();
    const json call_body = {{"name", "self.audio_speaker.set_volume"}, {"arguments", {{"volume", 30}}}};
    auto called = co_await admin(http, server, "POST", "/api/devices/" + id + "/mcp", call_body);
    EXPECT_EQ(called.status, 200) << called.body;
    EXPECT_TRUE(json::parse(called.body, nullptr, false).value("success", false)) << called.body;
    EXPECT_EQ(dev.mcp().volume(), 30) << "the device ran the tool";

    // A non-hello message without a session is answered with goodbye (the device recovers).
    dev.listen_detect("anyone there");
    EXPECT_TRUE((co_await dev.wait_type("goodbye", "", 5s)).has_value());

    // A second conversation on the same MQTT connection: a new session id.
    dev.send_hello();
    auto hello2 = co_await dev.wait_hello(5s);
    EXPECT_TRUE(hello2.has_value());
    EXPECT_NE(dev.session_id(), first_session);
    dev.listen_detect("hello");
    EXPECT_TRUE((co_await dev.wait_type("tts", "stop", 20s)).has_value());
    EXPECT_EQ(server.metric("xiaozhi_transport_sessions{transport=\"mqtt\"}"), 1);
  }());

  // Sequence 1 is far behind the window by then: "old" rather than "replay".
  auto dropped = [&](const std::string& reason) {
    return std::max(0.0, server.metric("xiaozhi_udp_dropped_total{reason=\"" + reason + "\"}"));  // -1: none yet
  };
  EXPECT_GE(dropped("replay") + dropped("old"), 1);
  EXPECT_GE(server.metric("xiaozhi_udp_dropped_total{reason=\"forged\"}"), 3);
}

TEST(MqttDevice, WrongPasswordIsRefused) {
  FakeOpenAi fake;
  Ports ports;
  TestServer server(mqtt_config(fake, ports));
  ClientLoop loop;
  auto code = loop.run([&]() -> Task<int> {
    auto ex = co_await boost::asio::this_coro::executor;
    MqttSimDevice dev(ex);
    try {
      co_await dev.connect(mqtt_options(ports, dev, "bm90IHRoZSBwYXNzd29yZA=="));
    } catch (const xz::net::MqttConnectError& e) {
      co_return e.code ? static_cast<int>(*e.code) : -1;
    }
    co_return 0;
  }());
  EXPECT_EQ(code, static_cast<int>(xz::protocol::mqtt::ConnackCode::bad_username_or_password));
}

TEST(MqttDevice, DisabledMeansNothingListens) {
  FakeOpenAi fake;
  Ports ports;
  auto cfg = mqtt_config(fake, ports);
  std::erase_if(cfg, [](const auto& kv) { return kv.first == "server.mqtt.enabled"; });
  TestServer server(cfg);
  ClientLoop loop;
  auto ota = loop.run([&]() -> Task<json> {
    auto ex = co_await boost::asio::this_coro::executor;
    xz::sim::SimDevice dev(ex);
    co_return co_await dev.check_ota(server.http_url("/xiaozhi/ota/"));
  }());
  // Nothing listens: a device's login finds no server.
  auto refused = loop.run([&]() -> Task<bool> {
    auto ex = co_await boost::asio::this_coro::executor;
    MqttSimDevice dev(ex);
    try {
      co_await dev.connect(mqtt_options(ports, dev));
    } catch (const std::exception&) {
      co_return true;
    }
    co_return false;
  }());
  EXPECT_TRUE(refused) << "an MQTT login succeeded with server.mqtt.enabled false";
  EXPECT_FALSE(ota.contains("mqtt")) << ota.dump();
  EXPECT_TRUE(ota.contains("websocket")) << ota.dump();
}

TEST(MqttDevice, EnabledWithoutASignatureKeyRefusesToStart) {
  FakeOpenAi fake;
  auto cfg = mqtt_config(fake, Ports{});
  std::erase_if(cfg, [](const auto& kv) { return kv.first == "server.mqtt_signature_key"; });
  try {
    TestServer server(cfg);
    ADD_FAILURE() << "the server started with MQTT on and no signature key";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("mqtt_signature_key"), std::string::npos) << e.what();
  }
}

TEST(MqttDevice, ServerEndsASilentConversationWithGoodbyeAndKeepsTheDevice) {
  FakeOpenAi fake;
  Ports ports;
  auto cfg = mqtt_config(fake, ports);
  cfg.push_back({"close_connection_no_voice_time", 1});
  cfg.push_back({"close_connection_after_goodbye_seconds", 3});  // the goodbye turn's bound
  TestServer server(cfg);
  ClientLoop loop;
  loop.run([&]() -> Task<void> {
    auto ex = co_await boost::asio::this_coro::executor;
    MqttSimDevice dev(ex);
    xz::net::HttpClient http;
    co_await dev.connect(mqtt_options(ports, dev));
    EXPECT_TRUE((co_await dev.wait_hello(5s)).has_value());
    const std::string sid = dev.session_id();
    // No voice: the goodbye turn, then the server's goodbye with this session's id.
    auto bye = co_await dev.wait_type("goodbye", "", 15s);
    EXPECT_TRUE(bye.has_value());
    EXPECT_EQ(bye.value_or(json::object()).value("session_id", ""), sid);
    EXPECT_TRUE(co_await dev.wait_channel_closed(1s)) << "the firmware closes its channel on its own goodbye";
    auto idle = co_await wait_online(http, server, dev.profile().device_id,
                                     [](const json& d) { return d.value("state", "") == "idle"; });
    EXPECT_EQ(idle.value("state", ""), "idle") << idle.dump();
    EXPECT_TRUE(dev.mqtt_connected()) << "the MQTT connection is kept";
  }());
}
