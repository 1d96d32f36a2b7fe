#include <gtest/gtest.h>

#include "protocol/server_messages.h"

using namespace xz::protocol;
using Json = nlohmann::json;

// Expected strings follow the examples in device-protocol.md §3.3/§3.6/§4.2/§10 and
// reference-server.md §2.5.
TEST(ServerMessages, WebSocketHello) {
  ServerHello h;
  h.session_id = "a1b2c3";
  EXPECT_EQ(make_server_hello(h),
            R"({"type":"hello","version":1,"transport":"websocket","session_id":"a1b2c3",)"
            R"("audio_params":{"format":"opus","sample_rate":24000,"channels":1,"frame_duration":60}})");
}

TEST(ServerMessages, UdpHello) {
  ServerHello h;
  h.session_id = "xxx";
  h.transport = "udp";
  h.version = 3;
  h.audio_params.sample_rate = 16000;
  h.udp = UdpInfo{"203.0.113.5", 8884, "00112233445566778899aabbccddeeff", "010000000000002a0000000000000000"};
  const auto j = Json::parse(make_server_hello(h));
  EXPECT_EQ(j["type"], "hello");
  EXPECT_EQ(j["transport"], "udp");
  EXPECT_EQ(j["version"], 3);
  EXPECT_EQ(j["session_id"], "xxx");
  EXPECT_EQ(j["audio_params"]["sample_rate"], 16000);
  EXPECT_EQ(j["udp"], Json::parse(R"({"server":"203.0.113.5","port":8884,"encryption":"aes-128-ctr",)"
                                  R"("key":"00112233445566778899aabbccddeeff","nonce":"010000000000002a0000000000000000"})"));
}

TEST(ServerMessages, TurnMessages) {
  EXPECT_EQ(make_stt("s1", "What's the weather?"), R"({"session_id":"s1","type":"stt","text":"What's the weather?"})");
  EXPECT_EQ(make_tts_start("s1"), R"({"session_id":"s1","type":"tts","state":"start"})");
  EXPECT_EQ(make_tts_stop("s1"), R"({"session_id":"s1","type":"tts","state":"stop"})");
  EXPECT_EQ(make_tts_sentence_start("s1", "It is sunny."),
            R"({"session_id":"s1","type":"tts","state":"sentence_start","text":"It is sunny."})");
  EXPECT_EQ(make_llm_emotion("s1", "happy", "😊"), R"({"session_id":"s1","type":"llm","text":"😊","emotion":"happy"})");
}

TEST(ServerMessages, ControlMessages) {
  EXPECT_EQ(make_mcp("s1", Json::parse(R"({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":""}})")),
            R"({"session_id":"s1","type":"mcp","payload":{"id":2,"jsonrpc":"2.0","method":"tools/list","params":{"cursor":""}}})");
  EXPECT_EQ(make_iot_commands("s1", Json::parse(R"([{"name":"Lamp","method":"TurnOn","parameters":{}}])")),
            R"({"session_id":"s1","type":"iot","commands":[{"method":"TurnOn","name":"Lamp","parameters":{}}]})");
  EXPECT_EQ(make_pong("s1", "2026-01-01 08:00:00"), R"({"session_id":"s1","type":"pong","timestamp":"2026-01-01 08:00:00"})");
  EXPECT_EQ(make_goodbye("s1"), R"({"session_id":"s1","type":"goodbye"})");
  EXPECT_EQ(make_alert("s1", "Warning", "Low battery", "sad"),
            R"({"session_id":"s1","type":"alert","status":"Warning","message":"Low battery","emotion":"sad"})");
}

TEST(ServerMessages, TextIsEscapedAndInvalidUtf8Replaced) {
  EXPECT_EQ(make_stt("s", "say \"hi\"\n\\"), R"({"session_id":"s","type":"stt","text":"say \"hi\"\n\\"})");
  const auto j = Json::parse(make_tts_sentence_start("s", "bad \xff byte"));
  EXPECT_EQ(j["text"], "bad \xef\xbf\xbd byte");  // U+FFFD
  EXPECT_NO_THROW(Json::parse(make_server_hello(ServerHello{"\xc3", "websocket", 1, {}, std::nullopt})));
}
