// The pure parts of the HTTP TTS engines: Tencent's TC3 signature against Tencent's own
// documented example, query strings as Python's requests writes them, the custom
// engine's {prompt_text}, MiniMax's streamed hex audio, JSON answers with base64 audio,
// and the vendors' error bodies.
#include <gtest/gtest.h>

#include "audio/audio_stream_decoder.h"
#include "protocol/encoding.h"
#include "providers/tts/custom_tts.h"
#include "providers/tts/doubao_tts.h"
#include "providers/tts/engine_error.h"
#include "providers/tts/http_speech.h"
#include "providers/tts/json_audio_body.h"
#include "providers/tts/minimax_stream.h"
#include "providers/tts/paddle_speech_tts.h"
#include "providers/tts/tencent_tts.h"
#include "providers/tts/tts_vendor_json.h"

using nlohmann::json;
namespace audio = xz::audio;
namespace p = xz::providers;

namespace {

std::vector<std::int16_t> samples_of(const audio::DecodedPcm& pcm) { return pcm.samples; }

std::string le16(std::initializer_list<std::int16_t> v) {
  std::string out;
  for (auto s : v) {
    out += static_cast<char>(s & 0xFF);
    out += static_cast<char>((s >> 8) & 0xFF);
  }
  return out;
}

audio::DecodedPcm push_all(audio::AudioStreamDecoder& d, std::string_view bytes, std::size_t piece) {
  audio::DecodedPcm out;
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    auto got = d.push(audio::as_bytes(bytes.substr(at, piece)));
    out.samples.insert(out.samples.end(), got.samples.begin(), got.samples.end());
    if (got.sample_rate) out.sample_rate = got.sample_rate;
  }
  auto rest = d.finish();
  out.samples.insert(out.samples.end(), rest.samples.begin(), rest.samples.end());
  if (rest.sample_rate) out.sample_rate = rest.sample_rate;
  return out;
}

}  // namespace

// Tencent Cloud API 3.0 documentation, "Signature v3" worked example (CVM
// DescribeInstances, 2019-02-25): its payload hash, and the signature both with the
// documented example key and with the masked key later versions of the page print.
TEST(HttpTtsWire, TencentTc3SignatureMatchesTencentsDocumentedExample) {
  const std::string payload = R"({"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]})";
  EXPECT_EQ(xz::protocol::hex_encode(xz::protocol::sha256(payload)),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
  EXPECT_EQ(p::tc3_authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm",
                                 "cvm.tencentcloudapi.com", "application/json; charset=utf-8", payload, 1551113065),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
            "SignedHeaders=content-type;host, "
            "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
  EXPECT_EQ(p::tc3_authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******", "Gu5t9xGARNpq86cd98joQYCN3*******", "cvm",
                                 "cvm.tencentcloudapi.com", "application/json; charset=utf-8", payload, 1551113065),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, "
            "SignedHeaders=content-type;host, "
            "Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c");
}

TEST(HttpTtsWire, QueryStringsAreWrittenAsPythonRequestsWritesThem) {
  json params = {{"text", "你好 world&more"}, {"top_k", 15},       {"top_p", 1.0},         {"if_sr", false},
                 {"prompt_text", nullptr},     {"inp_refs", {"a.wav", "b c.wav"}}, {"cut_punc", ""}};
  EXPECT_EQ(p::python_query_string(params),
            "cut_punc=&if_sr=False&inp_refs=a.wav&inp_refs=b+c.wav&text=%E4%BD%A0%E5%A5%BD+world%26more&top_k=15"
            "&top_p=1.0");
  EXPECT_EQ(p::with_query("http://h/tts", "a=1"), "http://h/tts?a=1");
  EXPECT_EQ(p::with_query("http://h/tts?k=v", "a=1"), "http://h/tts?k=v&a=1");
  EXPECT_EQ(p::with_query("http://h/tts", ""), "http://h/tts");
}

TEST(HttpTtsWire, CustomParamsGetTheSentenceWherePromptTextIs) {
  json params = {{"input", "{prompt_text}"}, {"prefix", "say: {prompt_text}!"}, {"speed", 1}, {"stream", false}};
  EXPECT_EQ(p::custom_tts_params(params, "{prompt_text} twice"),
            (json{{"input", "{prompt_text} twice"}, {"prefix", "say: {prompt_text} twice!"}, {"speed", 1},
                  {"stream", false}}));
}

TEST(HttpTtsWire, MinimaxStreamGivesTheStatusOneAudioInAnySplit) {
  const std::string a = le16({1, 2, 3}), b = le16({-4, 5});
  const std::string body =
      "data: {\"data\":{\"audio\":\"" + xz::protocol::hex_encode(a) +
      "\",\"status\":1,\"ced\":\"\"},\"trace_id\":\"t\",\"base_resp\":{\"status_code\":0,\"status_msg\":\"\"}}\n\n"
      "data: not json, a keep-alive\n\n"
      "data: {\"data\":{\"audio\":\"" + xz::protocol::hex_encode(b) +
      "\",\"status\":1},\"base_resp\":{\"status_code\":0,\"status_msg\":\"\"}}\r\n\r\n"
      "data: {\"data\":{\"audio\":\"" + xz::protocol::hex_encode(a + b) +
      "\",\"status\":2},\"extra_info\":{\"audio_length\":1},\"base_resp\":{\"status_code\":0,\"status_msg\":\"success\"}}"
      "\n\n";
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, body.size()}) {
    p::MinimaxStreamBody d(audio::make_audio_stream_decoder(audio::AudioFormat::pcm, 24000));
    auto pcm = push_all(d, body, piece);
    EXPECT_EQ(pcm.samples, (std::vector<std::int16_t>{1, 2, 3, -4, 5})) << "piece " << piece;
    EXPECT_EQ(pcm.sample_rate, 24000);
  }
}

TEST(HttpTtsWire, MinimaxErrorsAreTheVendorsWords) {
  const std::string in_stream =
      "data: {\"base_resp\":{\"status_code\":1004,\"status_msg\":\"login fail: Please carry the API secret key\"}}\n\n";
  p::MinimaxStreamBody d(audio::make_audio_stream_decoder(audio::AudioFormat::pcm, 24000));
  try {
    push_all(d, in_stream, 5);
    ADD_FAILURE() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "MiniMax error 1004: login fail: Please carry the API secret key");
  }
  // Not a stream at all: the plain JSON answer the API gives for a bad request.
  p::MinimaxStreamBody plain(audio::make_audio_stream_decoder(audio::AudioFormat::pcm, 24000));
  EXPECT_THROW(push_all(plain, "{\"base_resp\": {\"status_code\": 2013,\n \"status_msg\": \"invalid params\"}}", 9),
               std::runtime_error);
  p::MinimaxStreamBody bad_hex(audio::make_audio_stream_decoder(audio::AudioFormat::pcm, 24000));
  EXPECT_THROW(push_all(bad_hex, "data: {\"data\":{\"audio\":\"zz\",\"status\":1}}\n", 100), audio::AudioFormatError);
}

TEST(HttpTtsWire, JsonAnswersWithBase64Audio) {
  const std::string pcm = le16({7, -7, 9});
  const std::string ok = json{{"reqid", "r"}, {"code", 3000}, {"message", "Success"}, {"sequence", -1},
                              {"data", xz::protocol::base64_encode(pcm)}}
                             .dump();
  p::JsonAudioBody doubao(p::doubao_audio_field, audio::make_audio_stream_decoder(audio::AudioFormat::pcm, 24000));
  EXPECT_EQ(samples_of(push_all(doubao, ok, 3)), (std::vector<std::int16_t>{7, -7, 9}));

  p::JsonAudioBody doubao_err(p::doubao_audio_field, audio::make_audio_stream_decoder(audio::AudioFormat::pcm, 24000));
  try {
    push_all(doubao_err, R"({"reqid":"r","code":3001,"message":"invalid appid"})", 10);
    ADD_FAILURE() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "Doubao error 3001: invalid appid");
  }
  p::JsonAudioBody tencent_err(p::tencent_audio_field, audio::make_audio_stream_decoder(audio::AudioFormat::pcm, 24000));
  try {
    push_all(tencent_err,
             R"({"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"The provided credentials could not be validated."},"RequestId":"x"}})",
             10);
    ADD_FAILURE() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "Tencent error AuthFailure.SignatureFailure: The provided credentials could not be validated.");
  }
  p::JsonAudioBody paddle(p::paddle_audio_field, audio::make_audio_stream_decoder(audio::AudioFormat::pcm, 24000));
  EXPECT_EQ(samples_of(push_all(paddle,
                                json{{"success", true}, {"code", 200}, {"result", {{"audio", xz::protocol::base64_encode(pcm)}}}}
                                    .dump(),
                                4)),
            (std::vector<std::int16_t>{7, -7, 9}));
  p::JsonAudioBody not_json(p::doubao_audio_field, audio::make_audio_stream_decoder(audio::AudioFormat::pcm, 24000));
  EXPECT_THROW(push_all(not_json, "<html>502</html>", 4), audio::AudioFormatError);
  p::JsonAudioBody too_big(p::doubao_audio_field, audio::make_audio_stream_decoder(audio::AudioFormat::pcm, 24000), 16);
  EXPECT_THROW(push_all(too_big, ok, 8), audio::AudioFormatError);
}

TEST(HttpTtsWire, PaddleStreamingMessages) {
  auto m = p::parse_paddle_message(R"({"status": 1, "audio": ")" + xz::protocol::base64_encode(le16({3})) + R"("})");
  EXPECT_EQ(m.status, 1);
  EXPECT_EQ(m.audio, le16({3}));
  auto ready = p::parse_paddle_message(R"({"status": 0, "signal": "server ready", "session": "abc"})");
  EXPECT_EQ(ready.session, "abc");
  EXPECT_THROW(p::parse_paddle_message("[]"), std::runtime_error);
  EXPECT_THROW(p::parse_paddle_message(R"({"audio": ""})"), std::runtime_error);
  EXPECT_THROW(p::parse_paddle_message(R"({"status": 1, "audio": "@@@"})"), std::runtime_error);
}

TEST(HttpTtsWire, VendorErrorBodiesReadAsTheVendorsWords) {
  EXPECT_EQ(p::vendor_error_message(R"({"error":{"message":"Input too long","type":"invalid_request_error"}})"),
            "Input too long");
  EXPECT_EQ(p::vendor_error_message(R"({"code":20012,"message":"Model does not exist.","data":null})"),
            "Model does not exist. (code 20012)");
  EXPECT_EQ(p::vendor_error_message(R"({"message":"tts failed","Exception":"ref_audio_path cannot be empty"})"),
            "tts failed: ref_audio_path cannot be empty");
  EXPECT_EQ(p::vendor_error_message(R"({"code":4100,"msg":"authentication is invalid"})"),
            "authentication is invalid (code 4100)");
  EXPECT_EQ(p::vendor_error_message(R"({"detail":[{"loc":["body","text"],"msg":"field required"}]})"),
            "field required");
  EXPECT_EQ(p::vendor_error_message(R"({"base_resp":{"status_code":1004,"status_msg":"login fail"}})"), "login fail");
  EXPECT_EQ(p::vendor_error_message(R"({"Response":{"Error":{"Code":"AuthFailure","Message":"bad"}}})"),
            "AuthFailure: bad");
  EXPECT_EQ(p::vendor_error_message("Internal Server Error"), "Internal Server Error");
  EXPECT_EQ(p::vendor_error_message(""), "(empty body)");
  EXPECT_EQ(p::vendor_error_message(std::string(1000, 'x')).size(), 303u);
}
