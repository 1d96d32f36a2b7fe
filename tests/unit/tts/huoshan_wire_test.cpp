// Huoshan bidirectional TTS frames against the spec's known answers (Appendix A.5,
// session id "a1b2c3"), and the parser's refusals.
#include "providers/tts/huoshan_wire.h"

#include <gtest/gtest.h>

#include "protocol/encoding.h"

using namespace xz::providers::huoshan;
using xz::protocol::hex_decode;
using xz::protocol::hex_encode;

namespace {
std::string hex(const std::string& bytes) { return hex_encode(bytes); }
std::string bytes(const char* h) { return hex_decode(h).value(); }
}  // namespace

TEST(HuoshanWire, ClientFramesMatchTheKnownAnswers) {
  EXPECT_EQ(hex(encode_request(kFinishConnection, "", "{}")), "1114100000000002000000027b7d");
  EXPECT_EQ(hex(encode_request(kFinishSession, "a1b2c3", "{}")), "111410000000006600000006613162326333000000027b7d");
  EXPECT_EQ(hex(encode_request(kCancelSession, "a1b2c3", "{}")), "111410000000006500000006613162326333000000027b7d");
}

TEST(HuoshanWire, ServerFramesMatchTheKnownAnswers) {
  EXPECT_EQ(hex(encode_event(kSessionStarted, "a1b2c3", "{}")), "119410000000009600000006613162326333000000027b7d");
  EXPECT_EQ(hex(encode_event(kTtsSentenceStart, "a1b2c3", R"({"text": "hi"})")),
            "119410000000015e000000066131623263330000000e7b2274657874223a20226869227d");
  EXPECT_EQ(hex(encode_audio("a1b2c3", bytes("00010203"))), "11b4000000000160000000066131623263330000000400010203");
  EXPECT_EQ(hex(encode_event(kSessionFinished, "a1b2c3", R"({"status_code": 20000000, "message": "ok"})")),
            "1194100000000098000000066131623263330000002a7b227374617475735f636f6465223a2032303030303030302c20226d657373616765223a20226f6b227d");
  EXPECT_EQ(hex(encode_event(kConnectionFinished, "conn-1", "{}")), "119410000000003400000006636f6e6e2d31000000027b7d");
}

TEST(HuoshanWire, StartSessionPayloadIsTheReferences340Bytes) {
  SessionParams p;
  p.speaker = "zh_female_wanwanxiaohe_moon_bigtts";
  p.audio_params = {{"speech_rate", 0}, {"loudness_rate", 0}};
  p.additions = {{"aigc_metadata", nlohmann::ordered_json::object()},
                 {"cache_config", nlohmann::ordered_json::object()},
                 {"post_process", {{"pitch", 0}}}};
  const std::string start = request_payload(kStartSession, "", p);
  EXPECT_EQ(start.size(), 340u);
  EXPECT_EQ(start,
            R"({"user": {"uid": "1234"}, "event": 100, "namespace": "BidirectionalTTS", "req_params": {"text": "", )"
            R"("speaker": "zh_female_wanwanxiaohe_moon_bigtts", "audio_params": {"speech_rate": 0, "loudness_rate": 0, )"
            R"("sample_rate": 24000, "format": "pcm"}, "additions": "{\"aigc_metadata\": {}, \"cache_config\": {}, )"
            R"(\"post_process\": {\"pitch\": 0}}"}})");
  const std::string task = request_payload(kTaskRequest, "你好。", p);
  EXPECT_EQ(task.size(), 358u);
  EXPECT_NE(task.find(R"("text": "\u4f60\u597d\u3002")"), std::string::npos);
  // The whole StartSession frame with a 32-digit session id: header, event 100, id, length 0x154.
  const std::string sid = "5f0e3a9c2b7d4e1f8a6b0c9d8e7f6a5b";
  const std::string frame = encode_request(kStartSession, sid, start);
  EXPECT_EQ(hex(frame.substr(0, 12)), "111410000000006400000020");
  EXPECT_EQ(frame.substr(12, 32), sid);
  EXPECT_EQ(hex(frame.substr(44, 4)), "00000154");
  const std::string task_frame = encode_request(kTaskRequest, sid, task);
  EXPECT_EQ(hex(task_frame.substr(4, 4)), "000000c8");
  EXPECT_EQ(hex(task_frame.substr(44, 4)), "00000166");
}

TEST(HuoshanWire, MixSpeakerIsSentOnlyWhenSet) {
  SessionParams p;
  p.speaker = "s";
  EXPECT_EQ(request_payload(kStartSession, "", p).find("mix_speaker"), std::string::npos);
  p.mix_speaker = {{"speakers", nlohmann::ordered_json::array()}};
  EXPECT_NE(request_payload(kStartSession, "", p).find(R"("mix_speaker": {"speakers": []})"), std::string::npos);
}

TEST(HuoshanWire, ParsesWhatItWrites) {
  auto f = parse_frame(bytes("11b4000000000160000000066131623263330000000400010203"));
  EXPECT_EQ(f.kind, FrameKind::audio);
  EXPECT_EQ(f.event, kTtsResponse);
  EXPECT_EQ(f.id, "a1b2c3");
  EXPECT_EQ(f.payload, bytes("00010203"));
  auto c = parse_frame(bytes("1114100000000002000000027b7d"));  // no id on a client connection event
  EXPECT_EQ(c.event, kFinishConnection);
  EXPECT_TRUE(c.id.empty());
  EXPECT_EQ(c.payload, "{}");
  auto e = parse_frame(encode_error(45000001, R"({"error": "invalid speaker"})"));
  EXPECT_EQ(e.kind, FrameKind::error);
  EXPECT_EQ(e.error_code, 45000001u);
  EXPECT_EQ(describe_payload(e.payload), "invalid speaker");
  EXPECT_EQ(describe_payload(R"({"status_code": 45000030, "message": "resource not granted"})"),
            "45000030 resource not granted");
}

TEST(HuoshanWire, RefusesBrokenFrames) {
  EXPECT_THROW(parse_frame(""), WireError);
  EXPECT_THROW(parse_frame(bytes("119410")), WireError);                           // short header
  EXPECT_THROW(parse_frame(bytes("2194100000000096")), WireError);                 // version 2
  EXPECT_THROW(parse_frame(bytes("11941100000000960000000661")), WireError);       // gzip
  EXPECT_THROW(parse_frame(bytes("11941000000000960000000661313233")), WireError);  // id cut short
  EXPECT_THROW(parse_frame(bytes("1194100000000096000000066131623263330000ffff7b7d")), WireError);  // payload too long
  EXPECT_THROW(parse_frame(bytes("1194100000000096000000066131623263330000000200")), WireError);  // short payload
  EXPECT_THROW(parse_frame(bytes("119410000000009600000006613162326333000000027b7d00")), WireError);  // trailing byte
  EXPECT_THROW(parse_frame(bytes("11541000")), WireError);  // unknown message type
  EXPECT_THROW(parse_frame(bytes("1194100000000096ffffffff")), WireError);  // huge id
}
