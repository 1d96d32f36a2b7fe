// Volcengine sauc v3 frames against the spec's known-answer vectors (Appendix A.4).
#include <gtest/gtest.h>

#include "protocol/encoding.h"
#include "protocol/json_text.h"
#include "providers/asr/sauc_wire.h"

namespace sauc = xz::providers::sauc;

namespace {

std::string hex(std::string_view h) {
  std::string clean;
  for (char c : h)
    if (c != ' ') clean += c;
  return *xz::protocol::hex_decode(clean);
}

}  // namespace

TEST(SaucWire, ClientFramesHaveTheReferenceHeaders) {
  const std::string req = sauc::encode_full_request(R"({"a":1})");
  EXPECT_EQ(req.substr(0, 4), hex("11 10 11 00"));
  const std::string audio = sauc::encode_audio(std::string(1920, '\x01'), false);
  EXPECT_EQ(audio.substr(0, 4), hex("11 20 11 00"));
  const std::string last = sauc::encode_audio("", true);
  EXPECT_EQ(last.substr(0, 8), hex("11 22 11 00 00 00 00 14"));  // gzip("") is 20 bytes
  auto f = sauc::parse_frame(last);
  EXPECT_TRUE(f.last());
  EXPECT_EQ(f.payload, "");
  f = sauc::parse_frame(audio);
  EXPECT_EQ(f.type, sauc::kAudioOnlyRequest);
  EXPECT_EQ(f.payload, std::string(1920, '\x01'));
  EXPECT_EQ(sauc::parse_frame(req).payload, R"({"a":1})");
}

TEST(SaucWire, TheSpecsGzipOfNothingInflates) {
  EXPECT_EQ(sauc::gunzip(hex("1f 8b 08 00 00 00 00 00 02 03 03 00 00 00 00 00 00 00 00 00")), "");
  EXPECT_THROW(sauc::gunzip("not gzip"), sauc::WireError);
}

TEST(SaucWire, ParsesTheSpecsServerInitResponse) {
  const std::string bytes = hex(
      "11 91 10 00 00 00 00 01 00 00 00 60 7b22617564696f5f696e666f223a7b226475726174696f6e223a307d2c22726573756c7422"
      "3a7b226164646974696f6e73223a7b226c6f675f6964223a223230323530313031303030303030414243444546227d2c227465787422"
      "3a22227d7d");
  auto f = sauc::parse_frame(bytes);
  EXPECT_EQ(f.type, sauc::kFullServerResponse);
  ASSERT_TRUE(f.sequence);
  EXPECT_EQ(*f.sequence, 1);
  EXPECT_FALSE(f.last());
  EXPECT_EQ(f.payload, R"({"audio_info":{"duration":0},"result":{"additions":{"log_id":"20250101000000ABCDEF"},"text":""}})");
  EXPECT_EQ(sauc::encode_response(1, f.payload, false), bytes);
}

TEST(SaucWire, ParsesTheSpecsErrorFrame) {
  const std::string bytes = hex("11 f0 10 00 02 ae a5 41 00 00 00 1a 7b226572726f72223a2022696e76616c696420617564696f227d");
  auto f = sauc::parse_frame(bytes);
  EXPECT_EQ(f.type, sauc::kErrorResponse);
  EXPECT_EQ(f.error_code, 45000001u);
  EXPECT_EQ(sauc::parse_result(f.payload).error, "invalid audio");
  EXPECT_EQ(sauc::encode_error(45000001, R"({"error": "invalid audio"})"), bytes);
}

TEST(SaucWire, ReadsUtterancesOfTheSpecsExample) {
  const auto r = sauc::parse_result(
      R"({"audio_info":{"duration":1200},"result":{"additions":{"log_id":"x"},"text":"你好","utterances":[{"definite":true,"end_time":1100,"start_time":300,"text":"你好","words":[]}]}})");
  EXPECT_EQ(r.duration_ms, 1200);
  EXPECT_EQ(r.text, "你好");
  ASSERT_EQ(r.utterances.size(), 1u);
  EXPECT_TRUE(r.utterances[0].definite);
  EXPECT_EQ(r.utterances[0].start_time, 300);
  // The final answer after a last packet: 0x93 and a negative sequence.
  auto f = sauc::parse_frame(sauc::encode_response(-3, "{}", true));
  EXPECT_TRUE(f.last());
  EXPECT_EQ(*f.sequence, -3);
}

TEST(SaucWire, RequestJsonHasTheReferenceShape) {
  sauc::RequestParams p;
  p.appid = "APPID";
  p.access_token = "TOKEN";
  EXPECT_EQ(sauc::request_json(p, "RID"),
            R"({"app":{"appid":"APPID","token":"TOKEN"},"user":{"uid":"streaming_asr_service"},"request":{"reqid":"RID","workflow":"audio_in,resample,partition,vad,fe,decode,itn,nlu_punctuate","show_utterances":true,"result_type":"single","sequence":1,"end_window_size":200,"corpus":{"boosting_table_name":"","correct_table_name":""}},"audio":{"format":"pcm","codec":"pcm","rate":16000,"bits":16,"channel":1,"sample_rate":16000}})");
  p.multilingual = true;
  p.language = "zh-cn";
  EXPECT_EQ(xz::protocol::parse_json_text(sauc::request_json(p, "RID"))["audio"]["language"], "zh-cn");
}

TEST(SaucWire, RefusesBrokenFrames) {
  EXPECT_THROW(sauc::parse_frame(hex("11 91")), sauc::WireError);
  EXPECT_THROW(sauc::parse_frame(hex("21 91 10 00 00 00 00 01 00 00 00 00")), sauc::WireError);  // version 2
  EXPECT_THROW(sauc::parse_frame(hex("11 91 10 00 00 00 00 01 00 00 00 09 7b7d")), sauc::WireError);  // size past end
  EXPECT_THROW(sauc::parse_frame(hex("11 91 12 00 00 00 00 01 00 00 00 00")), sauc::WireError);  // compression 2
  EXPECT_THROW(sauc::parse_frame(hex("11 91 11 00 00 00 00 01 00 00 00 02 7b7d")), sauc::WireError);  // not gzip
  EXPECT_THROW(sauc::parse_frame(hex("10 91 10 00")), sauc::WireError);  // header size 0
  EXPECT_THROW(sauc::parse_result("[1]"), sauc::WireError);
  // A header extension word is skipped.
  auto f = sauc::parse_frame(hex("12 91 10 00 ab cd ef 01 00 00 00 07 00 00 00 02 7b7d"));
  EXPECT_EQ(*f.sequence, 7);
  EXPECT_EQ(f.payload, "{}");
}
