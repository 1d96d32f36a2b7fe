// The Aliyun, DashScope and Xunfei codecs against the spec's known answers (Appendix
// A.2, A.3) and their refusals.
#include <gtest/gtest.h>

#include "protocol/encoding.h"
#include "providers/tts/aliyun_wire.h"
#include "providers/tts/dashscope_wire.h"
#include "providers/tts/xunfei_wire.h"

namespace aliyun = xz::providers::aliyun;
namespace dashscope = xz::providers::dashscope;
namespace xunfei = xz::providers::xunfei;

TEST(AliyunWire, CreateTokenSignatureMatchesTheKnownAnswer) {
  aliyun::TokenRequest r{"my_access_key_id", "my_access_key_secret", "b924c8c3-6d03-11e8-9b8b-0242ac110002",
                         "2023-11-14T22:13:20Z"};
  EXPECT_EQ(aliyun::canonical_query(r),
            "AccessKeyId=my_access_key_id&Action=CreateToken&Format=JSON&RegionId=cn-shanghai&SignatureMethod=HMAC-SHA1&"
            "SignatureNonce=b924c8c3-6d03-11e8-9b8b-0242ac110002&SignatureVersion=1.0&Timestamp=2023-11-14T22%3A13%3A20Z&"
            "Version=2019-02-28");
  EXPECT_EQ(aliyun::string_to_sign(r),
            "GET&%2F&AccessKeyId%3Dmy_access_key_id%26Action%3DCreateToken%26Format%3DJSON%26RegionId%3Dcn-shanghai%26"
            "SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Db924c8c3-6d03-11e8-9b8b-0242ac110002%26SignatureVersion%3D1.0%26"
            "Timestamp%3D2023-11-14T22%253A13%253A20Z%26Version%3D2019-02-28");
  EXPECT_EQ(aliyun::signature(r), "CCTR6jfWwgSh+Z0L4VFsmfD25e8=");
  EXPECT_EQ(aliyun::token_url("http://nls-meta.cn-shanghai.aliyuncs.com/", r),
            "http://nls-meta.cn-shanghai.aliyuncs.com/?Signature=CCTR6jfWwgSh%2BZ0L4VFsmfD25e8%3D&AccessKeyId=my_access_key_id&"
            "Action=CreateToken&Format=JSON&RegionId=cn-shanghai&SignatureMethod=HMAC-SHA1&SignatureNonce=b924c8c3-6d03-11e8-"
            "9b8b-0242ac110002&SignatureVersion=1.0&Timestamp=2023-11-14T22%3A13%3A20Z&Version=2019-02-28");
  EXPECT_EQ(aliyun::percent_encode("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
}

TEST(AliyunWire, TheFakesCheckAcceptsTheRightSecretOnly) {
  aliyun::TokenRequest r{"id", "secret", "nonce-1", "2023-11-14T22:13:20Z"};
  std::vector<std::pair<std::string, std::string>> q = {
      {"Signature", aliyun::signature(r)}, {"AccessKeyId", "id"},          {"Action", "CreateToken"},
      {"Format", "JSON"},                  {"RegionId", "cn-shanghai"},    {"SignatureMethod", "HMAC-SHA1"},
      {"SignatureNonce", "nonce-1"},       {"SignatureVersion", "1.0"},    {"Timestamp", "2023-11-14T22:13:20Z"},
      {"Version", "2019-02-28"}};
  EXPECT_TRUE(aliyun::check_token_request(q, "secret").ok);
  EXPECT_EQ(aliyun::check_token_request(q, "other").why, "SignatureDoesNotMatch");
  q[6].second = "nonce-2";  // a parameter changed after signing
  EXPECT_FALSE(aliyun::check_token_request(q, "secret").ok);
}

TEST(AliyunWire, TokenAnswers) {
  auto t = aliyun::parse_token_answer(
      R"({"NlsRequestId":"x","RequestId":"y","ErrMsg":"","Token":{"ExpireTime":1700086400,"Id":"abc123","UserId":"1"}})");
  EXPECT_EQ(t.id, "abc123");
  EXPECT_EQ(t.expire_time, 1700086400);
  EXPECT_EQ(aliyun::parse_token_answer(R"({"Token":{"ExpireTime":"2023-11-15T22:13:20Z","Id":"i"}})").expire_time,
            1700086400);
  try {
    aliyun::parse_token_answer(R"({"Message":"Specified signature is not matched","Code":"SignatureDoesNotMatch"})");
    FAIL();
  } catch (const aliyun::WireError& e) {
    EXPECT_STREQ(e.what(), "CreateToken: no token: Specified signature is not matched");
  }
  EXPECT_THROW(aliyun::parse_token_answer("nope"), aliyun::WireError);
  EXPECT_THROW(aliyun::parse_token_answer(R"({"Token":{"Id":"i"}})"), aliyun::WireError);
}

TEST(AliyunWire, SynthesisMessagesAreTheReferences) {
  aliyun::SynthesisParams p;
  p.appkey = "KEY";
  EXPECT_EQ(aliyun::start_synthesis("T", "M", p),
            R"({"header": {"message_id": "M", "task_id": "T", "namespace": "FlowingSpeechSynthesizer", )"
            R"("name": "StartSynthesis", "appkey": "KEY"}, "payload": {"voice": "longxiaochun", "format": "pcm", )"
            R"("sample_rate": 24000, "volume": 50, "speech_rate": 0, "pitch_rate": 0, "enable_subtitle": true}})");
  EXPECT_EQ(aliyun::run_synthesis("T", "M", "KEY", "今天"),
            R"({"header": {"message_id": "M", "task_id": "T", "namespace": "FlowingSpeechSynthesizer", )"
            R"("name": "RunSynthesis", "appkey": "KEY"}, "payload": {"text": "\u4eca\u5929"}})");
  auto e = aliyun::parse_event(aliyun::make_event("TaskFailed", "T", nullptr, 40000004, "idle timeout"));
  EXPECT_EQ(e.name, "TaskFailed");
  EXPECT_EQ(e.task_id, "T");
  EXPECT_EQ(e.status, 40000004);
  EXPECT_EQ(e.status_text, "idle timeout");
  EXPECT_THROW(aliyun::parse_event(R"({"payload":{}})"), aliyun::WireError);
  EXPECT_THROW(aliyun::parse_event(R"({"header":{"task_id":"T"}})"), aliyun::WireError);
}

TEST(DashScopeWire, TaskMessagesAreTheReferences) {
  dashscope::TtsParams p;
  EXPECT_EQ(dashscope::run_task("sid", p),
            R"({"header": {"action": "run-task", "task_id": "sid", "streaming": "duplex"}, "payload": {"task_group": "audio", )"
            R"("task": "tts", "function": "SpeechSynthesizer", "model": "cosyvoice-v2", "parameters": {"text_type": "PlainText", )"
            R"("voice": "longxiaochun_v2", "format": "pcm", "sample_rate": 24000, "volume": 50, "rate": 1.0, "pitch": 1.0}, )"
            R"("input": {}}})");
  EXPECT_EQ(dashscope::continue_task("sid", "hi"),
            R"({"header": {"action": "continue-task", "task_id": "sid", "streaming": "duplex"}, "payload": {"input": {"text": "hi"}}})");
  EXPECT_EQ(dashscope::finish_task("sid"),
            R"({"header": {"action": "finish-task", "task_id": "sid", "streaming": "duplex"}, "payload": {"input": {}}})");
  auto m = dashscope::parse_message(
      R"({"header":{"task_id":"sid","event":"task-failed","error_code":"CLIENT_ERROR","error_message":"request timeout after 23 seconds.","attributes":{}},"payload":{}})");
  EXPECT_EQ(m.event, "task-failed");
  EXPECT_EQ(m.error_code, "CLIENT_ERROR");
  EXPECT_EQ(m.error_message, "request timeout after 23 seconds.");
  EXPECT_THROW(dashscope::parse_message(R"({"header":{"task_id":"x"}})"), dashscope::WireError);
  EXPECT_THROW(dashscope::parse_message("[]"), dashscope::WireError);
}

TEST(XunfeiWire, SignedUrlMatchesTheKnownAnswer) {
  auto s = xunfei::sign_url("ws://iat.cn-huabei-1.xf-yun.com/v1", "my_api_key", "my_api_secret",
                            "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(s.signature_origin, "host: iat.cn-huabei-1.xf-yun.com\ndate: Tue, 14 Nov 2023 22:13:20 GMT\nGET /v1 HTTP/1.1");
  EXPECT_EQ(s.signature, "qZmFMF8R9ANm1ofk88qiB6CeXkOz/cgrJo7/hnK/k6M=");
  EXPECT_EQ(s.authorization,
            "YXBpX2tleT0ibXlfYXBpX2tleSIsIGFsZ29yaXRobT0iaG1hYy1zaGEyNTYiLCBoZWFkZXJzPSJob3N0IGRhdGUgcmVxdWVzdC1saW5lIiwgc2lnbmF0"
            "dXJlPSJxWm1GTUY4UjlBTm0xb2ZrODhxaUI2Q2VYa096L2NnckpvNy9obksvazZNPSI=");
  EXPECT_EQ(s.url,
            "ws://iat.cn-huabei-1.xf-yun.com/v1?authorization=YXBpX2tleT0ibXlfYXBpX2tleSIsIGFsZ29yaXRobT0iaG1hYy1zaGEyNTYiLCBoZWFk"
            "ZXJzPSJob3N0IGRhdGUgcmVxdWVzdC1saW5lIiwgc2lnbmF0dXJlPSJxWm1GTUY4UjlBTm0xb2ZrODhxaUI2Q2VYa096L2NnckpvNy9obksvazZNPSI%3D&"
            "date=Tue%2C+14+Nov+2023+22%3A13%3A20+GMT&host=iat.cn-huabei-1.xf-yun.com");
  EXPECT_EQ(xunfei::http_date(1700000000), "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(xunfei::check_signed_request("iat.cn-huabei-1.xf-yun.com", "/v1", s.authorization,
                                         "Tue, 14 Nov 2023 22:13:20 GMT", "my_api_key", "my_api_secret"),
            "");
  EXPECT_EQ(xunfei::check_signed_request("iat.cn-huabei-1.xf-yun.com", "/v2", s.authorization,
                                         "Tue, 14 Nov 2023 22:13:20 GMT", "my_api_key", "my_api_secret"),
            "HMAC signature does not match");
}

TEST(XunfeiWire, FramesBothWays) {
  xunfei::TtsParams p;
  p.app_id = "APP";
  const std::string start = xunfei::request(0, 1, " ", p);
  EXPECT_EQ(start.substr(0, 55), R"({"header": {"app_id": "APP", "status": 0}, "parameter":)");
  EXPECT_NE(start.find(R"("text": "IA==")"), std::string::npos);
  auto c = xunfei::parse_client_frame(xunfei::request(1, 2, "你好", p));
  EXPECT_EQ(c.app_id, "APP");
  EXPECT_EQ(c.status, 1);
  EXPECT_EQ(c.seq, 2);
  EXPECT_EQ(c.text, "你好");
  EXPECT_EQ(c.sample_rate, 24000);
  EXPECT_EQ(c.voice, "x5_lingxiaoxuan_flow");
  auto f = xunfei::parse_server_frame(xunfei::make_server_frame(0, "success", 1, 1, std::string("\x01\x02", 2), 3));
  EXPECT_EQ(f.code, 0);
  EXPECT_EQ(*f.audio_status, 1);
  EXPECT_EQ(f.audio, std::string("\x01\x02", 2));
  auto e = xunfei::parse_server_frame(R"({"header":{"code":10163,"message":"bad text","sid":"s","status":2}})");
  EXPECT_EQ(e.code, 10163);
  EXPECT_FALSE(e.audio_status);
  EXPECT_THROW(xunfei::parse_server_frame(R"({"header":{"message":"x"}})"), xunfei::WireError);
  EXPECT_THROW(xunfei::parse_server_frame(R"({"header":{"code":0},"payload":{"audio":{"audio":"!!"}}})"),
               xunfei::WireError);
}
