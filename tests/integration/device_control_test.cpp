// Device control end to end: the device's MCP tools (more than one page of them) called
// by the LLM, the camera's upload to the vision endpoint, legacy IoT things, and the
// operator's push API. The real server and xiaozhi-sim; the LLM and VLLM are local fakes
// speaking the OpenAI wire protocol.
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>

#include "net/http_client.h"
#include "sim/sim_device.h"
#include "support/admin_api.h"
#include "support/child_process.h"
#include "support/fake_openai.h"
#include "support/test_server.h"
#include "build_paths.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;
using xz::test::FakeToolCall;
using xz::test::TestServer;

namespace {

constexpr const char* kAdminToken = "admin-secret-token-of-32-characters";

std::vector<std::pair<std::string, json>> config_for(const FakeOpenAi& llm, const FakeOpenAi* vllm = nullptr) {
  std::vector<std::pair<std::string, json>> o = {{"LLM.OpenAILLM.base_url", llm.url()},
                                                 {"LLM.OpenAILLM.api_key", "sk-test"},
                                                 {"server.admin_token", kAdminToken}};
  if (vllm) {
    o.push_back({"VLLM.OpenAIVLLM.base_url", vllm->url()});
    o.push_back({"VLLM.OpenAIVLLM.api_key", "sk-vision"});
  }
  return o;
}

ConnectOptions opts(const TestServer& s, bool mcp = true) {
  ConnectOptions o;
  o.url = s.ws_url();
  o.mcp = mcp;
  return o;
}

FakeReply tool_reply(std::string name, std::string arguments) {
  FakeReply r;
  r.tool_calls.push_back(FakeToolCall{"", std::move(name), std::move(arguments)});
  return r;
}

FakeReply text_reply(std::string text) {
  FakeReply r;
  r.tokens = {std::move(text)};
  return r;
}

// Waits until the server has read every page of the device's tool list: it asked for
// a second page (a cursor), and then reports the device's MCP ready on the operator API
// (the listing finishes on the server's loop, which the device cannot observe).
Task<bool> wait_tools_listed(SimDevice& dev, const TestServer& server) {
  std::function<bool(const json&)> paged = [](const json& m) {
    if (m.value("type", "") != "mcp") return false;
    const json& p = m["payload"];
    return p.value("method", "") == "tools/list" && p.contains("params") && !p["params"].value("cursor", "").empty();
  };
  auto page = co_await dev.wait_for(std::move(paged), 10s);
  if (!page) co_return false;
  xz::net::HttpClient http;
  for (int attempt = 0; attempt < 250; ++attempt) {
    xz::net::HttpClientRequest req;
    req.method = "GET";
    req.url = server.http_url("/api/devices/online");
    req.headers = {{"Authorization", std::string("Bearer ") + kAdminToken}};
    auto res = co_await http.request(std::move(req));
    json online = json::parse(res.body, nullptr, false);
    if (online.is_object())
      for (const auto& d : online["devices"])
        if (d["tools"].is_object() && d["tools"].value("device_mcp_ready", false)) co_return true;
    co_await xz::core::sleep_for(20ms);  // polling: nothing on the wire marks the end
  }
  co_return false;
}

std::vector<std::string> tool_names(const json& request) {
  std::vector<std::string> out;
  if (request.contains("tools"))
    for (const auto& t : request["tools"]) out.push_back(t["function"]["name"].get<std::string>());
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// The tool message the LLM got back for the call with this name, or "".
std::string tool_result_in(const json& request) {
  for (const auto& m : request["messages"])
    if (m.value("role", "") == "tool") return m.value("content", "");
  return {};
}

Task<xz::net::HttpClientResponse> admin_post(xz::net::HttpClient& http, const TestServer& s, std::string path,
                                             json body, std::string token = kAdminToken) {
  xz::net::HttpClientRequest req;
  req.method = "POST";
  req.url = s.http_url(path);
  req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}};
  req.body = body.dump();
  co_return co_await http.request(std::move(req));
}

}  // namespace

TEST(DeviceControl, LlmCallsADeviceMcpToolAndTheDeviceSeesIt) {
  FakeOpenAi fake;
  fake.push_reply(tool_reply("self_audio_speaker_set_volume", R"({"volume": 30})"));
  fake.push_reply(text_reply("The volume is now thirty."));
  TestServer server(config_for(fake));
  ClientLoop loop;

  auto seen = loop.run([&]() -> Task<std::tuple<int, int, std::optional<json>>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    EXPECT_TRUE(co_await dev.wait_hello());
    EXPECT_TRUE(co_await wait_tools_listed(dev, server)) << "the server never asked for the second page of tools";
    dev.listen_detect("turn the volume down to thirty");
    auto stop = co_await dev.wait_type("tts", "stop", 20s);
    co_return std::make_tuple(dev.mcp().volume(), dev.mcp().list_requests(), stop);
  }());

  auto [volume, list_requests, stop] = seen;
  EXPECT_TRUE(stop.has_value());
  EXPECT_EQ(volume, 30) << "the simulator must have run set_volume with the LLM's argument";
  EXPECT_GE(list_requests, 2) << "the stock tools with board tools span more than one page";
  auto requests = fake.requests();
  ASSERT_GE(requests.size(), 2u);
  auto names = tool_names(requests[0].json);
  EXPECT_TRUE(has(names, "self_audio_speaker_set_volume"));
  EXPECT_TRUE(has(names, "self_robot_jaw_move")) << "the last tool, from the second page";
  EXPECT_FALSE(has(names, "self_reboot")) << "user-only tools stay hidden from the LLM";
  EXPECT_TRUE(has(names, "get_time")) << "built-in functions are offered too";
  EXPECT_EQ(tool_result_in(requests[1].json), "true") << "the device's answer goes back to the LLM";
}

TEST(DeviceControl, CameraUploadsToTheVisionEndpointAndTheAnswerIsTheToolResult) {
  FakeOpenAi fake;
  FakeOpenAi vision;
  const std::string seen_text = "A red apple on a wooden table.";
  vision.push_reply(text_reply(seen_text));
  fake.push_reply(tool_reply("self_camera_take_photo", R"({"question": "what is on the table?"})"));
  TestServer server(config_for(fake, &vision));
  ClientLoop loop;

  auto [status, spoken] = loop.run([&]() -> Task<std::pair<int, std::vector<std::string>>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    EXPECT_TRUE(co_await wait_tools_listed(dev, server));
    EXPECT_NE(dev.mcp().vision_url().find("/mcp/vision/explain"), std::string::npos);
    EXPECT_FALSE(dev.mcp().vision_token().empty()) << "initialize must carry the vision token";
    dev.listen_detect("what do you see on the table");
    auto stop = co_await dev.wait_type("tts", "stop", 20s);
    EXPECT_TRUE(stop.has_value());
    std::vector<std::string> sentences = dev.turns().empty() ? std::vector<std::string>{} : dev.turns().back().sentences;
    co_return std::make_pair(dev.last_photo_status(), sentences);
  }());

  EXPECT_EQ(status, 200);
  auto vreq = vision.last_request().json;
  ASSERT_TRUE(vreq.contains("messages"));
  EXPECT_NE(vreq.dump().find("what is on the table?"), std::string::npos) << "the question reaches the VLLM";
  EXPECT_NE(vreq.dump().find("data:image/jpeg;base64,"), std::string::npos) << "the photo reaches the VLLM";
  // The endpoint answers {"action":"RESPONSE","response":...}: the tool result is the
  // VLLM's answer, spoken as it is (the reference's RESPONSE action), with no second LLM round.
  std::string all;
  for (const auto& s : spoken) all += s + " ";
  EXPECT_NE(all.find("red apple"), std::string::npos) << all;
  EXPECT_EQ(fake.requests().size(), 1u);
}

TEST(DeviceControl, WrongOrExpiredVisionTokenIsRefused) {
  FakeOpenAi fake;
  FakeOpenAi vision;
  TestServer server(config_for(fake, &vision));
  const std::string boundary = "----ESP32_CAMERA_BOUNDARY";
  std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\nwhat?\r\n--" +
                     boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"camera.jpg\"\r\n" +
                     "Content-Type: image/jpeg\r\n\r\n\xFF\xD8\xFF\xE0 fake jpeg\xFF\xD9\r\n--" + boundary + "--\r\n";
  auto wrong = xz::test::http_request(server.http_port(), "POST", "/mcp/vision/explain", body,
                                      {{"Device-Id", "aa:bb:cc:dd:ee:ff"},
                                       {"Authorization", "Bearer not-a-token"},
                                       {"Content-Type", "multipart/form-data; boundary=" + boundary}});
  EXPECT_EQ(wrong.status, 401);
  auto none = xz::test::http_request(server.http_port(), "POST", "/mcp/vision/explain", body,
                                     {{"Device-Id", "aa:bb:cc:dd:ee:ff"},
                                      {"Content-Type", "multipart/form-data; boundary=" + boundary}});
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(vision.requests().size(), 0u) << "a refused upload never reaches the model";
}

TEST(DeviceControl, LegacyIotDeviceMethodIsCalledThroughTheLlm) {
  FakeOpenAi fake;
  fake.push_reply(tool_reply("audiospeaker_set_volume", R"({"volume": 50})"));
  fake.push_reply(text_reply("Done."));
  TestServer server(config_for(fake));
  ClientLoop loop;

  auto command = loop.run([&]() -> Task<std::optional<json>> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    co_await dev.connect(opts(server, /*mcp=*/false));
    co_await dev.wait_hello();
    // A v1.7 device: one descriptors message per thing, then the full states.
    dev.send_text(R"({"session_id":"","type":"iot","update":true,"descriptors":[{"name":"AudioSpeaker",
      "description":"The audio speaker of the device",
      "properties":{"volume":{"description":"Current audio volume value","type":"number"}},
      "methods":{"set_volume":{"description":"Set the audio volume",
        "parameters":{"volume":{"description":"An integer between 0 and 100","type":"number"}}}}}]})");
    dev.send_text(R"({"session_id":"","type":"iot","update":true,"states":[{"name":"AudioSpeaker","state":{"volume":80}}]})");
    dev.listen_detect("set the volume to fifty");
    std::function<bool(const json&)> is_command = [](const json& m) {
      return m.value("type", "") == "iot" && m.contains("commands");
    };
    auto cmd = co_await dev.wait_for(std::move(is_command), 20s);
    co_await dev.wait_type("tts", "stop", 20s);
    co_return cmd;
  }());

  ASSERT_TRUE(command.has_value()) << "the device never got an iot command";
  const json& c = (*command)["commands"][0];
  EXPECT_EQ(c["name"], "AudioSpeaker");
  EXPECT_EQ(c["method"], "set_volume");
  EXPECT_EQ(c["parameters"]["volume"], 50);
  auto names = tool_names(fake.requests().at(0).json);
  EXPECT_TRUE(has(names, "get_audiospeaker_volume")) << "properties become getters";
}

TEST(DeviceControl, PushApiSpeaksCallsToolsListsAndRefuses) {
  FakeOpenAi fake;
  TestServer server(config_for(fake));
  ClientLoop loop;

  loop.run([&]() -> Task<bool> {
    auto ex = co_await boost::asio::this_coro::executor;
    xz::net::HttpClient http;
    SimDevice dev(ex);
    co_await dev.connect(opts(server));
    co_await dev.wait_hello();
    EXPECT_TRUE(co_await wait_tools_listed(dev, server));
    const std::string id = dev.profile().device_id;

    // Speak: the device hears the text as a normal reply.
    const std::string text = "Dinner is ready.";
    json speak_body = {{"text", text}};
    std::string speak_path = "/api/devices/" + id + "/speak";
    std::string mcp_path = "/api/devices/" + id + "/mcp";
    auto spoke = co_await admin_post(http, server, speak_path, std::move(speak_body));
    EXPECT_EQ(spoke.status, 200) << spoke.body;
    auto sentence = co_await dev.wait_type("tts", "sentence_start", 10s);
    EXPECT_TRUE(sentence && sentence->value("text", "") == text);
    auto stop = co_await dev.wait_type("tts", "stop", 10s);
    EXPECT_TRUE(stop.has_value());
    EXPECT_GT(dev.turns().back().frames, 0);

    // A tool call, user-only tools included; the device's answer comes back.
    json call_body = {{"name", "self.audio_speaker.set_volume"}, {"arguments", {{"volume", 12}}}};
    auto called = co_await admin_post(http, server, mcp_path, std::move(call_body));
    EXPECT_EQ(called.status, 200) << called.body;
    json answer = json::parse(called.body, nullptr, false);
    EXPECT_EQ(answer.value("success", false), true) << called.body;
    EXPECT_EQ(answer["result"], true);
    EXPECT_EQ(dev.mcp().volume(), 12);
    json bad_body = {{"name", "self.audio_speaker.set_volume"}, {"arguments", {{"volume", 500}}}};
    auto bad_arg = co_await admin_post(http, server, mcp_path, std::move(bad_body));
    json refused = json::parse(bad_arg.body, nullptr, false);
    EXPECT_EQ(bad_arg.status, 200);
    EXPECT_EQ(refused.value("success", true), false) << "the device's range error is reported";

    // The online list shows the device with its tools.
    xz::net::HttpClientRequest list_req;
    list_req.method = "GET";
    list_req.url = server.http_url("/api/devices/online");
    list_req.headers = {{"Authorization", std::string("Bearer ") + kAdminToken}};
    auto listed = co_await http.request(std::move(list_req));
    EXPECT_EQ(listed.status, 200);
    json online = json::parse(listed.body, nullptr, false);
    EXPECT_EQ(online["devices"].size(), 1u) << listed.body;
    if (online["devices"].size() == 1) {
      EXPECT_EQ(online["devices"][0]["device_id"], id);
      EXPECT_NE(online["devices"][0]["tools"].dump().find("self.reboot"), std::string::npos);
    }

    // Offline devices and wrong tokens.
    json hi = {{"text", "hi"}};
    std::string offline_path = "/api/devices/00:11:22:33:44:55/speak";
    auto offline = co_await admin_post(http, server, offline_path, hi);
    EXPECT_EQ(offline.status, 404);
    EXPECT_NE(offline.body.find("not connected"), std::string::npos);
    std::string wrong_token = "wrong";
    auto wrong = co_await admin_post(http, server, speak_path, hi, wrong_token);
    EXPECT_EQ(wrong.status, 403);
    json blank = {{"text", ""}};
    auto empty = co_await admin_post(http, server, speak_path, std::move(blank));
    EXPECT_EQ(empty.status, 400);
    co_return true;
  }());
}

TEST(DeviceControl, OneStdioMcpServerIsSharedByEverySession) {
  // The data directory holds the reference's .mcp_server_settings.json.
  auto dir = std::filesystem::temp_directory_path() / ("xz-mcp-shared-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    json settings = {{"mcpServers", {{"tester", {{"command", std::string(XZ_TEST_TOOLS_DIR) + "/mcp_stdio_test_server"},
                                                 {"args", json::array()}}}}}};
    std::ofstream(dir / ".mcp_server_settings.json") << settings.dump();
  }
  FakeOpenAi fake;
  for (int i = 0; i < 2; ++i) {
    fake.push_reply(tool_reply("pid", "{}"));
    fake.push_reply(text_reply("Done."));
  }
  auto cfg = config_for(fake);
  cfg.push_back({"log.data_dir", dir.string()});
  {
    TestServer server(cfg);
    ClientLoop loop;
    for (int session = 0; session < 2; ++session) {
      bool spoke = loop.run([&]() -> Task<bool> {
        auto ex = co_await boost::asio::this_coro::executor;
        SimDevice dev(ex);
        co_await dev.connect(opts(server));
        co_await dev.wait_hello();
        std::string id = dev.profile().device_id;
        std::string token = kAdminToken;
        std::string tool = "pid";
        EXPECT_TRUE(co_await xz::test::wait_until_offered(server, token, id, tool))
            << "the session never got the MCP server's tools";
        dev.listen_detect("which process answers you");
        co_return (co_await dev.wait_type("tts", "stop", 20s)).has_value();
      }());
      EXPECT_TRUE(spoke);
    }
  }
  std::filesystem::remove_all(dir);
  // Both sessions' calls were answered by the same child process.
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 4u);
  std::string first = tool_result_in(requests[1].json);
  std::string second = tool_result_in(requests[3].json);
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first.find("error"), std::string::npos) << first;
  EXPECT_EQ(first, second) << "one child process serves every session";
}

// A close after the turn (what shutdown asks of every session; SessionControl::request_close
// with after_turn) lets a reply being spoken finish: the device gets its tts stop and
// then the close. A device with no reply is closed at once, long before that.
TEST(DeviceControl, CloseAfterTheTurnWaitsForTheReplysTtsStopAndIsImmediateWhenIdle) {
  FakeOpenAi fake;
  TestServer server(config_for(fake));
  ClientLoop loop;
  std::thread shutdown;

  loop.run([&]() -> Task<bool> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice speaking(ex), idle(ex);
    co_await speaking.connect(opts(server, false));
    co_await speaking.wait_hello();
    co_await idle.connect(opts(server, false));
    co_await idle.wait_hello();

    // A reply of several sentences: seconds of paced audio.
    xz::net::HttpClient http;
    json speak_body = {{"text", "One. Two three four. Five six seven eight. Nine ten eleven twelve. The end."}};
    auto spoke = co_await admin_post(http, server, "/api/devices/" + speaking.profile().device_id + "/speak",
                                     std::move(speak_body));
    EXPECT_EQ(spoke.status, 200) << spoke.body;
    EXPECT_TRUE(co_await speaking.wait_type("tts", "sentence_start", 10s));

    shutdown = std::thread([&] { server.server().shutdown(20s); });
    EXPECT_TRUE(co_await idle.wait_closed(10s));
    const auto idle_closed = xz::sim::Clock::now();
    EXPECT_FALSE(speaking.turns().back().tts_stop_at) << "the reply was still being spoken when the idle device closed";

    EXPECT_TRUE(co_await speaking.wait_closed(20s));
    const auto& reply = speaking.turns().back();
    EXPECT_TRUE(reply.tts_stop_at) << "closed before the reply's tts stop";
    if (reply.tts_stop_at) {
      EXPECT_GT(*reply.tts_stop_at, idle_closed);
    }
    EXPECT_TRUE(!reply.sentences.empty() && reply.sentences.back().find("The end") != std::string::npos)
        << "the whole reply was spoken";
    co_return true;
  }());
  if (shutdown.joinable()) shutdown.join();
}
