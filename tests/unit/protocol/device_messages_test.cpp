#include <gtest/gtest.h>

#include "protocol/device_messages.h"

using namespace xz::protocol;

namespace {

template <class T>
T parse_as(std::string_view text) {
  auto r = parse_device_message(text);
  if (auto* err = std::get_if<MessageError>(&r)) {
    ADD_FAILURE() << "unexpected error for " << text << ": [" << err->type << "] " << err->reason;
    return T{};
  }
  auto& msg = std::get<DeviceMessage>(r);
  if (!std::holds_alternative<T>(msg)) {
    ADD_FAILURE() << "wrong message kind for " << text;
    return T{};
  }
  return std::get<T>(std::move(msg));
}

MessageError error_of(std::string_view text) {
  auto r = parse_device_message(text);
  if (!std::holds_alternative<MessageError>(r)) {
    ADD_FAILURE() << "expected an error for " << text;
    return {};
  }
  return std::get<MessageError>(r);
}

}  // namespace

// The firmware's exact hello (device-protocol.md §3.2).
TEST(DeviceMessages, FirmwareHello) {
  const auto h = parse_as<HelloMsg>(
      R"({"type":"hello","version":1,"features":{"aec":true,"mcp":true,"glyph_push":true},)"
      R"("text_font":{"bundle":"noto-v1","charset":"common","size":20,"bpp":4},"transport":"websocket",)"
      R"("audio_params":{"format":"opus","sample_rate":16000,"channels":1,"frame_duration":60}})");
  EXPECT_EQ(h.version, 1);
  EXPECT_EQ(h.transport, "websocket");
  EXPECT_TRUE(h.features.mcp);
  EXPECT_TRUE(h.features.aec);
  EXPECT_TRUE(h.features.glyph_push);
  EXPECT_TRUE(h.features.emoji);  // default
  ASSERT_TRUE(h.audio_params);
  EXPECT_EQ(h.audio_params->format, "opus");
  EXPECT_EQ(h.audio_params->sample_rate, 16000);
  EXPECT_EQ(h.audio_params->channels, 1);
  EXPECT_EQ(h.audio_params->frame_duration, 60);
}

// MQTT hello (§4.2) and the reference's browser test page hello (no audio_params, no transport).
TEST(DeviceMessages, OtherHellos) {
  const auto mqtt = parse_as<HelloMsg>(
      R"({"type":"hello","version":3,"transport":"udp","features":{"mcp":true},)"
      R"("audio_params":{"format":"opus","sample_rate":16000,"channels":1,"frame_duration":60}})");
  EXPECT_EQ(mqtt.version, 3);
  EXPECT_EQ(mqtt.transport, "udp");
  EXPECT_FALSE(mqtt.features.aec);

  const auto page = parse_as<HelloMsg>(
      R"({"type":"hello","device_id":"x","device_name":"web","device_mac":"m","token":"t",)"
      R"("features":{"mcp":true,"emoji":false}})");
  EXPECT_EQ(page.version, 1);
  EXPECT_EQ(page.transport, "");
  EXPECT_FALSE(page.audio_params);
  EXPECT_FALSE(page.features.emoji);

  // py-xiaozhi on x86 uses 20 ms frames; optional fields keep their defaults.
  const auto py = parse_as<HelloMsg>(R"({"type":"hello","audio_params":{"frame_duration":20},"features":null})");
  ASSERT_TRUE(py.audio_params);
  EXPECT_EQ(py.audio_params->frame_duration, 20);
  EXPECT_EQ(py.audio_params->sample_rate, 16000);
  EXPECT_EQ(py.audio_params->format, "opus");
  // A float that holds an integer is an integer; numbers count as feature flags.
  const auto loose = parse_as<HelloMsg>(R"({"type":"hello","version":2.0,"features":{"mcp":1,"aec":0}})");
  EXPECT_EQ(loose.version, 2);
  EXPECT_TRUE(loose.features.mcp);
  EXPECT_FALSE(loose.features.aec);
}

TEST(DeviceMessages, HelloErrorsNameTheField) {
  auto e = error_of(R"({"type":"hello","audio_params":{"sample_rate":"16000"}})");
  EXPECT_EQ(e.type, "hello");
  EXPECT_EQ(e.reason, "hello.audio_params.sample_rate: expected an integer");
  EXPECT_EQ(error_of(R"({"type":"hello","audio_params":{"sample_rate":4000}})").reason,
            "hello.audio_params.sample_rate: expected 8000..48000, got 4000");
  EXPECT_EQ(error_of(R"({"type":"hello","audio_params":{"sample_rate":96000}})").reason,
            "hello.audio_params.sample_rate: expected 8000..48000, got 96000");
  EXPECT_EQ(error_of(R"({"type":"hello","audio_params":{"frame_duration":30}})").reason,
            "hello.audio_params.frame_duration: expected one of 20, 40, 60, 120, got 30");
  EXPECT_EQ(error_of(R"({"type":"hello","audio_params":{"channels":3}})").reason,
            "hello.audio_params.channels: expected 1 or 2, got 3");
  EXPECT_EQ(error_of(R"({"type":"hello","audio_params":{"format":5}})").reason,
            "hello.audio_params.format: expected a string");
  EXPECT_EQ(error_of(R"({"type":"hello","audio_params":[16000]})").reason,
            "hello.audio_params: expected an object");
  EXPECT_EQ(error_of(R"({"type":"hello","version":"1"})").reason, "hello.version: expected an integer");
  EXPECT_EQ(error_of(R"({"type":"hello","version":1.5})").reason, "hello.version: expected an integer");
  EXPECT_EQ(error_of(R"({"type":"hello","version":99999999999})").reason, "hello.version: integer out of range");
  EXPECT_EQ(error_of(R"({"type":"hello","transport":1})").reason, "hello.transport: expected a string");
  EXPECT_EQ(error_of(R"({"type":"hello","features":true})").reason, "hello.features: expected an object");
  EXPECT_EQ(error_of(R"({"type":"hello","features":{"mcp":"yes"}})").reason,
            "hello.features.mcp: expected a boolean");
}

// The firmware's listen messages (§3.5), session_id included and ignored.
TEST(DeviceMessages, Listen) {
  auto m = parse_as<ListenMsg>(R"({"session_id":"s1","type":"listen","state":"start","mode":"auto"})");
  EXPECT_EQ(m.state, ListenState::start);
  ASSERT_TRUE(m.mode);
  EXPECT_EQ(*m.mode, ListenMode::auto_mode);

  m = parse_as<ListenMsg>(R"({"session_id":"s1","type":"listen","state":"start","mode":"manual"})");
  EXPECT_EQ(*m.mode, ListenMode::manual);
  m = parse_as<ListenMsg>(R"({"session_id":"","type":"listen","state":"start","mode":"realtime"})");
  EXPECT_EQ(*m.mode, ListenMode::realtime);

  m = parse_as<ListenMsg>(R"({"session_id":"s1","type":"listen","state":"stop"})");
  EXPECT_EQ(m.state, ListenState::stop);
  EXPECT_FALSE(m.mode);
  EXPECT_FALSE(m.text);

  m = parse_as<ListenMsg>(R"({"session_id":"s1","type":"listen","state":"detect","text":"你好小智"})");
  EXPECT_EQ(m.state, ListenState::detect);
  EXPECT_EQ(m.text.value_or(""), "你好小智");

  // text is only meaningful for detect.
  m = parse_as<ListenMsg>(R"({"type":"listen","state":"start","text":"ignored","mode":null})");
  EXPECT_FALSE(m.text);
  EXPECT_FALSE(m.mode);
  m = parse_as<ListenMsg>(R"({"type":"listen","state":"stop","text":42})");
  EXPECT_FALSE(m.text);

  EXPECT_EQ(to_string(ListenMode::auto_mode), "auto");
  EXPECT_EQ(to_string(ListenMode::manual), "manual");
  EXPECT_EQ(to_string(ListenMode::realtime), "realtime");
  EXPECT_EQ(to_string(ListenState::detect), "detect");
}

TEST(DeviceMessages, ListenErrors) {
  auto e = error_of(R"({"type":"listen"})");
  EXPECT_EQ(e.type, "listen");
  EXPECT_EQ(e.reason, "listen.state: missing");
  EXPECT_EQ(error_of(R"({"type":"listen","state":null})").reason, "listen.state: missing");
  EXPECT_EQ(error_of(R"({"type":"listen","state":1})").reason, "listen.state: expected a string");
  EXPECT_EQ(error_of(R"({"type":"listen","state":"go"})").reason,
            "listen.state: expected one of start, stop, detect, got \"go\"");
  EXPECT_EQ(error_of(R"({"type":"listen","state":"start","mode":"x"})").reason,
            "listen.mode: expected one of auto, manual, realtime, got \"x\"");
  EXPECT_EQ(error_of(R"({"type":"listen","state":"start","mode":["auto"]})").reason,
            "listen.mode: expected a string");
  EXPECT_EQ(error_of(R"({"type":"listen","state":"detect","text":42})").reason,
            "listen.text: expected a string");
  // Long offending values are cut short in the message.
  const auto long_mode = error_of(R"({"type":"listen","state":"start","mode":")" + std::string(500, 'm') + "\"}");
  EXPECT_LT(long_mode.reason.size(), 150u);
  EXPECT_NE(long_mode.reason.find("...\""), std::string::npos);
}

TEST(DeviceMessages, Abort) {
  EXPECT_EQ(parse_as<AbortMsg>(R"({"session_id":"s1","type":"abort"})").reason, "");
  EXPECT_EQ(parse_as<AbortMsg>(R"({"session_id":"s1","type":"abort","reason":"wake_word_detected"})").reason,
            "wake_word_detected");
  // A strange reason must not cost the abort.
  EXPECT_EQ(parse_as<AbortMsg>(R"({"type":"abort","reason":7})").reason, "");
}

TEST(DeviceMessages, Mcp) {
  const auto m = parse_as<McpMsg>(
      R"({"session_id":"s1","type":"mcp","payload":{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}})");
  EXPECT_EQ(m.payload["id"], 1);
  EXPECT_EQ(m.payload["result"]["tools"].size(), 0u);
  EXPECT_EQ(error_of(R"({"type":"mcp"})").reason, "mcp.payload: missing");
  EXPECT_EQ(error_of(R"({"type":"mcp","payload":"{}"})").reason, "mcp.payload: expected an object");
  EXPECT_EQ(error_of(R"({"type":"mcp","payload":[1]})").type, "mcp");
}

// Legacy IoT (§6, firmware <= 1.7).
TEST(DeviceMessages, Iot) {
  auto m = parse_as<IotMsg>(
      R"({"session_id":"s","type":"iot","update":true,"descriptors":[{"name":"AudioSpeaker","methods":{}}]})");
  EXPECT_TRUE(m.update);
  ASSERT_TRUE(m.descriptors.is_array());
  EXPECT_EQ(m.descriptors[0]["name"], "AudioSpeaker");
  EXPECT_TRUE(m.states.is_null());
  m = parse_as<IotMsg>(R"({"type":"iot","states":[{"name":"Screen","state":{"brightness":75}}]})");
  EXPECT_FALSE(m.update);
  EXPECT_TRUE(m.descriptors.is_null());
  EXPECT_EQ(m.states[0]["state"]["brightness"], 75);
  EXPECT_EQ(error_of(R"({"type":"iot","states":{"a":1}})").reason, "iot.states: expected an array");
  EXPECT_EQ(error_of(R"({"type":"iot","descriptors":"x"})").reason, "iot.descriptors: expected an array");
}

TEST(DeviceMessages, PingAndGoodbye) {
  auto r = parse_device_message(R"({"type":"ping"})");
  ASSERT_TRUE(std::holds_alternative<DeviceMessage>(r));
  EXPECT_TRUE(std::holds_alternative<PingMsg>(std::get<DeviceMessage>(r)));
  EXPECT_EQ(parse_as<GoodbyeMsg>(R"({"session_id":"abc","type":"goodbye"})").session_id, "abc");
  EXPECT_EQ(parse_as<GoodbyeMsg>(R"({"type":"goodbye"})").session_id, "");
}

TEST(DeviceMessages, UnparseableAndUnknownMessages) {
  auto e = error_of(R"({"type":"listen",)");
  EXPECT_EQ(e.type, "");
  EXPECT_EQ(e.reason.rfind("malformed JSON at byte ", 0), 0u) << e.reason;
  EXPECT_EQ(error_of("not json at all").reason.rfind("malformed JSON at byte ", 0), 0u);
  EXPECT_EQ(error_of("").reason.rfind("malformed JSON", 0), 0u);
  EXPECT_EQ(error_of(R"({"type":"ping"} trailing)").reason.rfind("malformed JSON", 0), 0u);
  EXPECT_EQ(error_of("\"\xff\"").reason.rfind("malformed JSON", 0), 0u);  // invalid UTF-8
  EXPECT_EQ(error_of("42").reason, "expected a JSON object");
  EXPECT_EQ(error_of(R"(["hello"])").reason, "expected a JSON object");
  EXPECT_EQ(error_of(R"({"state":"start"})").reason, "type: missing");
  EXPECT_EQ(error_of(R"({"type":3})").reason, "type: expected a string");
  e = error_of(R"({"type":"foo"})");
  EXPECT_EQ(e.type, "");
  EXPECT_EQ(e.reason, "unknown type \"foo\"");
}

TEST(DeviceMessages, DeepNestingIsRefusedUpFront) {
  const std::string deep = R"({"type":"mcp","payload":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(error_of(deep).reason, "JSON nested deeper than 64 levels");
  // Brackets inside strings do not count.
  const auto m = parse_as<AbortMsg>(R"({"type":"abort","reason":")" + std::string(200, '[') + "\\\"\"}");
  EXPECT_EQ(m.reason, std::string(200, '[') + "\"");
  // Exactly 64 levels are fine, 65 are not.
  const auto nested = [](int arrays) {
    return R"({"type":"mcp","payload":{"a":)" + std::string(arrays, '[') + std::string(arrays, ']') + "}}";
  };
  EXPECT_TRUE(std::holds_alternative<DeviceMessage>(parse_device_message(nested(62))));
  EXPECT_EQ(error_of(nested(63)).reason, "JSON nested deeper than 64 levels");
}

// The manager-api's own connection (manager-console.md §2.6.9).
TEST(DeviceMessages, ServerActionFromTheManager) {
  auto m = parse_as<ServerMsg>(R"({"type":"server","action":"update_config","content":{"secret":"s3"}})");
  EXPECT_EQ(m.action, "update_config");
  EXPECT_EQ(m.secret, "s3");
  EXPECT_EQ(parse_as<ServerMsg>(R"({"type":"server","action":"restart"})").secret, "");
  EXPECT_EQ(error_of(R"({"type":"server"})").reason, "server.action: missing");
  EXPECT_EQ(error_of(R"({"type":"server","action":7})").reason, "server.action: expected a string");
  EXPECT_EQ(error_of(R"({"type":"server","action":"restart","content":"s3"})").reason,
            "server.content: expected an object");
  EXPECT_EQ(error_of(R"({"type":"server","action":"restart","content":{"secret":1}})").reason,
            "server.content.secret: expected a string");
}
