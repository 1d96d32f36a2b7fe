#include "support/fake_asr_vendors.h"

#include <condition_variable>
#include <ctime>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fmt/format.h>

#include "audio/wav.h"
#include "core/async.h"
#include "core/runtime.h"
#include "net/http_server.h"
#include "net/websocket.h"
#include "protocol/encoding.h"
#include "protocol/json_text.h"
#include "providers/asr/doubao_v2_wire.h"
#include "providers/tts/aliyun_wire.h"
#include "providers/tts/tencent_tts.h"

namespace xz::test {

namespace asio = boost::asio;
using json = nlohmann::json;
using net::HttpRequest;
using net::HttpResponse;

namespace {

constexpr const char* kQwenPath = "/compatible-mode/v1/chat/completions";
constexpr const char* kTencentPath = "/tencent/";
constexpr const char* kBaiduTokenPath = "/oauth/2.0/token";
constexpr const char* kBaiduPath = "/server_api";
constexpr const char* kAliyunTokenPath = "/aliyun-token/";
constexpr const char* kAliyunPath = "/stream/v1/asr";
constexpr const char* kDoubaoPath = "/api/v2/asr";

std::vector<std::int16_t> samples_of(std::string_view bytes) {
  std::vector<std::int16_t> out(bytes.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto lo = static_cast<unsigned char>(bytes[2 * i]);
    const auto hi = static_cast<unsigned char>(bytes[2 * i + 1]);
    out[i] = static_cast<std::int16_t>(static_cast<std::uint16_t>(lo | (hi << 8)));
  }
  return out;
}

HttpResponse json_answer(int status, const json& body) {
  HttpResponse r = HttpResponse::json(status, body);
  return r;
}

}  // namespace

struct FakeAsrVendors::Impl {
  core::Runtime rt{1, 1};
  std::unique_ptr<net::HttpServer> server;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::string transcript = "今天天气怎么样";
  std::vector<std::string> fun_pieces;
  FakeFunAsrProfile fun_profile = FakeFunAsrProfile::two_pass;
  FakeAsrFault fault = FakeAsrFault::none;
  std::chrono::milliseconds stall{3000};
  std::int64_t token_lifetime = 30LL * 24 * 3600;
  std::vector<FakeAsrCall> calls;
  int tokens_issued = 0;
  std::set<std::string> valid_tokens;

  FakeAsrCall start_call(std::string vendor, const HttpRequest& req) {
    FakeAsrCall c;
    c.vendor = std::move(vendor);
    c.method = req.method;
    c.path = req.path;
    c.query = req.query;
    c.headers = req.headers;
    c.body = req.body;
    c.json = protocol::parse_json_text(req.body);
    if (c.json.is_discarded()) c.json = nullptr;
    return c;
  }

  FakeAsrFault take_fault() {
    std::lock_guard lk(mu);
    return std::exchange(fault, FakeAsrFault::none);
  }

  void record(FakeAsrCall c) {
    {
      std::lock_guard lk(mu);
      calls.push_back(std::move(c));
    }
    cv.notify_all();
  }

  std::string current_transcript() {
    std::lock_guard lk(mu);
    return transcript;
  }

  bool token_valid(const std::string& token) {
    std::lock_guard lk(mu);
    return valid_tokens.count(token) > 0;
  }

  std::string issue_token(std::string_view prefix, std::int64_t* lifetime) {
    std::lock_guard lk(mu);
    *lifetime = token_lifetime;
    std::string token = fmt::format("{}-token-{}", prefix, ++tokens_issued);
    valid_tokens.insert(token);
    return token;
  }

  // Shared by the HTTP vendors: an injected fault's answer, if there is one.
  asio::awaitable<std::optional<HttpResponse>> misbehave(FakeAsrFault f, HttpResponse vendor_error) {
    switch (f) {
      case FakeAsrFault::vendor_error:
        co_return vendor_error;
      case FakeAsrFault::http_500:
        co_return HttpResponse::text(500, "upstream exploded");
      case FakeAsrFault::stall:
      case FakeAsrFault::drop: {
        std::chrono::milliseconds d;
        {
          std::lock_guard lk(mu);
          d = stall;
        }
        co_await core::sleep_for(d);
        co_return HttpResponse::text(504, "late");
      }
      case FakeAsrFault::none:
        break;
    }
    co_return std::nullopt;
  }

  // DashScope compatible mode: Bearer key, the WAV as a data URL in the user message.
  asio::awaitable<HttpResponse> qwen3(HttpRequest& req) {
    FakeAsrCall c = start_call("qwen3", req);
    const FakeAsrFault f = take_fault();
    c.auth_ok = req.header("authorization") == std::string("Bearer ") + FakeAsrKeys::qwen3;
    auto refuse = [&](int status, std::string code, std::string message) {
      record(c);
      return json_answer(status, {{"error", {{"message", message}, {"type", "invalid_request_error"}, {"param", nullptr},
                                             {"code", code}}},
                                  {"request_id", "fake"}});
    };
    if (!c.auth_ok) co_return refuse(401, "invalid_api_key", "Incorrect API key provided. ");
    std::string data;
    if (c.json.is_object() && c.json["messages"].is_array()) {
      for (const auto& m : c.json["messages"]) {
        if (m.value("role", "") != "user" || !m["content"].is_array()) continue;
        for (const auto& part : m["content"]) {
          if (part.value("type", "") == "input_audio" && part["input_audio"].is_object())
            data = part["input_audio"].value("data", "");
        }
      }
    }
    if (!c.json.is_object() || !c.json["model"].is_string())
      co_return refuse(400, "invalid_parameter_error", "model is required");
    const std::string prefix = "data:audio/wav;base64,";
    if (!data.starts_with(prefix)) co_return refuse(400, "invalid_parameter_error", "The audio is not a data URL");
    auto wav_bytes = protocol::base64_decode(std::string_view(data).substr(prefix.size()));
    std::string why;
    auto wav = wav_bytes ? audio::parse_wav(*wav_bytes, &why) : std::nullopt;
    if (!wav) co_return refuse(400, "invalid_parameter_error", "The audio format is not supported: " + why);
    c.pcm = std::move(wav->samples);
    c.sample_rate = wav->sample_rate;
    // Built before the co_await: g++ 12 cannot keep an initializer list across one.
    HttpResponse vendor_error = json_answer(
        400, {{"error", {{"message", "Audio is too short"}, {"type", "invalid_request_error"}, {"code", "InvalidParameter"}}}});
    if (auto bad = co_await misbehave(f, std::move(vendor_error))) {
      record(c);
      co_return *bad;
    }
    record(c);
    co_return json_answer(
        200, {{"id", "chatcmpl-fake"},
              {"object", "chat.completion"},
              {"model", c.json["model"]},
              {"choices", json::array({{{"finish_reason", "stop"},
                                        {"index", 0},
                                        {"message", {{"annotations", json::array({{{"emotion", "neutral"},
                                                                                   {"language", "zh"},
                                                                                   {"type", "audio_info"}}})},
                                                     {"content", current_transcript()},
                                                     {"role", "assistant"}}}}})},
              {"usage", {{"prompt_tokens", 42}, {"completion_tokens", 6}, {"total_tokens", 48}}}});
  }

  // Tencent Cloud API 3.0: the TC3 signature over content-type and host, the action's
  // headers, the audio in base64 with its length before encoding.
  asio::awaitable<HttpResponse> tencent(HttpRequest& req) {
    FakeAsrCall c = start_call("tencent", req);
    const FakeAsrFault f = take_fault();
    auto error = [](std::string code, std::string message) {
      return json_answer(200, {{"Response", {{"Error", {{"Code", code}, {"Message", message}}}, {"RequestId", "fake-req"}}}});
    };
    const std::string ts = req.header("x-tc-timestamp");
    std::time_t when = 0;
    try {
      when = static_cast<std::time_t>(std::stoll(ts));
    } catch (const std::exception&) {
      record(c);
      co_return error("MissingParameter", "The request is missing a required parameter `X-TC-Timestamp`.");
    }
    const std::string expected = providers::tc3_authorization(FakeAsrKeys::tencent_id, FakeAsrKeys::tencent_key, "asr",
                                                              req.header("host"), req.header("content-type"), req.body,
                                                              when);
    c.auth_ok = req.header("authorization") == expected && req.header("x-tc-action") == "SentenceRecognition" &&
                req.header("x-tc-version") == "2019-06-14" && !req.header("x-tc-region").empty();
    if (!c.auth_ok) {
      record(c);
      co_return error("AuthFailure.SignatureFailure",
                      "The provided credentials could not be validated. Please check your signature is correct.");
    }
    const json& j = c.json;
    auto audio = j.is_object() && j["Data"].is_string() ? protocol::base64_decode(j["Data"].get<std::string>())
                                                         : std::nullopt;
    if (!audio || !j["DataLen"].is_number_integer() || j["DataLen"].get<std::size_t>() != audio->size() ||
        j.value("VoiceFormat", "") != "pcm" || j.value("SourceType", -1) != 1) {
      record(c);
      co_return error("InvalidParameterValue", "Data, DataLen, VoiceFormat or SourceType is invalid.");
    }
    c.pcm = samples_of(*audio);
    c.sample_rate = j.value("EngSerViceType", "").starts_with("16k") ? 16000 : 8000;
    HttpResponse vendor_error = error("FailedOperation.ErrorRecognize", "识别失败");
    if (auto bad = co_await misbehave(f, std::move(vendor_error))) {
      record(c);
      co_return *bad;
    }
    record(c);
    co_return json_answer(200, {{"Response", {{"Result", current_transcript()}, {"AudioDuration", c.pcm.size() / 16},
                                              {"WordSize", 0}, {"WordList", nullptr}, {"RequestId", "fake-req"}}}});
  }

  // Baidu OAuth: client_credentials with the API key and secret key in the query.
  asio::awaitable<HttpResponse> baidu_token(HttpRequest& req) {
    FakeAsrCall c = start_call("baidu_token", req);
    const FakeAsrFault f = take_fault();
    const bool id_ok = req.query["client_id"] == FakeAsrKeys::baidu_api_key;
    c.auth_ok = req.query["grant_type"] == "client_credentials" && id_ok &&
                req.query["client_secret"] == FakeAsrKeys::baidu_secret;
    if (!c.auth_ok) {
      record(c);
      co_return json_answer(401, {{"error", "invalid_client"},
                                  {"error_description", id_ok ? "Client authentication failed" : "unknown client id"}});
    }
    HttpResponse vendor_error = json_answer(400, {{"error", "invalid_request"}, {"error_description", "busy"}});
    if (auto bad = co_await misbehave(f, std::move(vendor_error))) {
      record(c);
      co_return *bad;
    }
    std::int64_t lifetime = 0;
    const std::string token = issue_token("24.baidu", &lifetime);
    record(c);
    co_return json_answer(200, {{"refresh_token", "25.fake"}, {"expires_in", lifetime},
                                {"scope", "public audio_voice_assistant_get audio_tts_post"}, {"session_key", "fake"},
                                {"access_token", token}, {"session_secret", "fake"}});
  }

  // Baidu short speech (vop server_api): JSON with the token and the base64 PCM.
  asio::awaitable<HttpResponse> baidu(HttpRequest& req) {
    FakeAsrCall c = start_call("baidu", req);
    const FakeAsrFault f = take_fault();
    const json& j = c.json;
    auto answer = [&](long long no, std::string msg) {
      record(c);
      return json_answer(200, {{"err_no", no}, {"err_msg", msg}, {"sn", "fake-sn"}});
    };
    if (!j.is_object()) co_return answer(3300, "param error.");
    c.auth_ok = j["token"].is_string() && token_valid(j["token"].get<std::string>());
    if (!c.auth_ok) co_return answer(3302, "authentication failed.");
    auto audio = j["speech"].is_string() ? protocol::base64_decode(j["speech"].get<std::string>()) : std::nullopt;
    if (!audio || !j["len"].is_number_integer() || j["len"].get<std::size_t>() != audio->size() ||
        j.value("format", "") != "pcm" || !j["rate"].is_number_integer() || j.value("channel", 0) != 1 ||
        !j["cuid"].is_string() || j["cuid"].get<std::string>().empty() || !j["dev_pid"].is_number_integer())
      co_return answer(3300, "param error.");
    c.pcm = samples_of(*audio);
    c.sample_rate = j["rate"].get<int>();
    HttpResponse vendor_error = json_answer(200, {{"err_no", 3301}, {"err_msg", "speech quality error."}, {"sn", "x"}});
    if (auto bad = co_await misbehave(f, std::move(vendor_error))) {
      record(c);
      co_return *bad;
    }
    record(c);
    co_return json_answer(200, {{"corpus_no", "6433214037620997779"}, {"err_msg", "success."}, {"err_no", 0},
                                {"result", json::array({current_transcript()})}, {"sn", "fake-sn"}});
  }

  // Aliyun CreateToken: the POP signature of the query, checked with the fake's secret.
  asio::awaitable<HttpResponse> aliyun_token(HttpRequest& req) {
    FakeAsrCall c = start_call("aliyun_token", req);
    const FakeAsrFault f = take_fault();
    std::vector<std::pair<std::string, std::string>> query(req.query.begin(), req.query.end());
    const auto check = providers::aliyun::check_token_request(query, FakeAsrKeys::aliyun_key_secret);
    c.auth_ok = check.ok && check.access_key_id == FakeAsrKeys::aliyun_key_id;
    if (!c.auth_ok) {
      record(c);
      co_return json_answer(400, {{"RequestId", "fake"}, {"Message", check.ok ? "Specified access key is not found." : check.why},
                                  {"Code", check.ok ? "InvalidAccessKeyId.NotFound" : "SignatureDoesNotMatch"}});
    }
    HttpResponse vendor_error = json_answer(400, {{"RequestId", "fake"}, {"Message", "Request was denied due to flow control."},
                                                  {"Code", "Throttling"}});
    if (auto bad = co_await misbehave(f, std::move(vendor_error))) {
      record(c);
      co_return *bad;
    }
    std::int64_t lifetime = 0;
    const std::string token = issue_token("nls", &lifetime);
    record(c);
    co_return json_answer(200, {{"NlsRequestId", "fake"}, {"RequestId", "fake"}, {"ErrMsg", ""},
                                {"Token", {{"ExpireTime", static_cast<std::int64_t>(std::time(nullptr)) + lifetime},
                                           {"Id", token}, {"UserId", "123"}}}});
  }

  // Aliyun one-sentence recognition: raw PCM with the token, the appkey in the query.
  asio::awaitable<HttpResponse> aliyun(HttpRequest& req) {
    FakeAsrCall c = start_call("aliyun", req);
    const FakeAsrFault f = take_fault();
    auto answer = [&](int http, long long status, std::string message) {
      record(c);
      return json_answer(http, {{"task_id", "fake-task"}, {"result", ""}, {"status", status}, {"message", message}});
    };
    const std::string token = req.header("x-nls-token");
    c.auth_ok = token_valid(token) || token == "static-nls-token";
    if (!c.auth_ok) co_return answer(403, 40000001, "Gateway:ACCESS_DENIED:The token '" + token + "' is invalid!");
    if (req.query["appkey"] != FakeAsrKeys::aliyun_appkey)
      co_return answer(400, 40020105, "Meta:APPKEY_NOT_EXIST:Appkey not exist!");
    if (req.query["format"] != "pcm" || req.query["sample_rate"] != "16000" ||
        req.header("content-type") != "application/octet-stream")
      co_return answer(400, 40000000, "Gateway:CLIENT_ERROR:unsupported format or sample rate");
    c.pcm = samples_of(req.body);
    c.sample_rate = 16000;
    HttpResponse vendor_error = json_answer(
        400, {{"task_id", "fake-task"}, {"result", ""}, {"status", 40000004}, {"message", "Gateway:IDLE_TIMEOUT:Websocket session is idle for too long time"}});
    if (auto bad = co_await misbehave(f, std::move(vendor_error))) {
      record(c);
      co_return *bad;
    }
    record(c);
    co_return json_answer(200, {{"task_id", "fake-task"}, {"result", current_transcript()}, {"status", 20000000},
                                {"message", "SUCCESS"}});
  }

  // Volcengine v2 ASR: the gzip JSON request and its answer, gzip audio segments until the
  // one flagged last, then one answer.
  asio::awaitable<void> doubao(std::shared_ptr<net::WebSocket> ws, HttpRequest req) {
    namespace v2 = providers::doubao_v2;
    FakeAsrCall c = start_call("doubao", req);
    c.auth_ok = true;  // the upgrade check refused a wrong token
    const FakeAsrFault f = take_fault();
    auto next_frame = [&]() -> asio::awaitable<std::optional<v2::Frame>> {
      auto msg = co_await ws->read();
      if (!msg || !msg->binary) co_return std::nullopt;
      try {
        co_return v2::parse_frame(msg->data, 64 << 20);
      } catch (const v2::WireError&) {
        co_return std::nullopt;
      }
    };
    auto first = co_await next_frame();
    if (!first || first->type != v2::kFullRequest) {
      record(std::move(c));
      ws->send_binary(v2::encode_error(1001, R"({"code":1001,"message":"invalid request"})"));
      co_return;
    }
    c.json = protocol::parse_json_text(first->payload);
    c.messages.push_back(c.json);
    const json& j = c.json;
    const bool ok = j.is_object() && j["app"].is_object() && j["app"].value("token", "") == FakeAsrKeys::doubao_token &&
                    j["app"].value("appid", "") == FakeAsrKeys::doubao_appid && j["audio"].is_object() &&
                    j["audio"].value("rate", 0) == 16000 && j["audio"].value("format", "") == "raw";
    const std::string reqid = j.is_object() && j["request"].is_object() ? j["request"].value("reqid", "") : "";
    if (!ok) {
      record(std::move(c));
      ws->send_binary(v2::encode_response(json({{"reqid", reqid}, {"code", 1002}, {"message", "no permission"}}).dump()));
      co_return;
    }
    ws->send_binary(v2::encode_response(json({{"reqid", reqid}, {"code", 1000}, {"message", "Success"}, {"sequence", 1}}).dump()));
    if (f == FakeAsrFault::drop) {
      record(std::move(c));
      ws->abort();
      co_return;
    }
    std::string audio;
    for (;;) {
      auto fr = co_await next_frame();
      if (!fr || fr->type != v2::kAudioOnly) {
        record(std::move(c));
        co_return;
      }
      audio += fr->payload;
      const bool last = (fr->flags & 0x2) != 0;
      c.messages.push_back({{"bytes", fr->payload.size()}, {"last", last}});
      if (last) break;
    }
    c.pcm = samples_of(audio);
    c.sample_rate = 16000;
    std::chrono::milliseconds quiet;
    std::string text;
    {
      std::lock_guard lk(mu);
      quiet = stall;
      text = transcript;
    }
    record(c);
    if (f == FakeAsrFault::stall) {
      co_await core::sleep_for(quiet);
      co_return;
    }
    json answer;
    if (f == FakeAsrFault::vendor_error) {
      answer = {{"reqid", reqid}, {"code", 1022}, {"message", "recognition error"}};
    } else if (text.empty()) {
      answer = {{"reqid", reqid}, {"code", 1013}, {"message", "no valid speech"}};
    } else {
      answer = {{"reqid", reqid}, {"code", 1000}, {"message", "Success"}, {"sequence", -1},
                {"result", json::array({{{"text", text}, {"confidence", 0}}})},
                {"addition", {{"duration", std::to_string(c.pcm.size() / 16)}}}};
    }
    ws->send_binary(f == FakeAsrFault::http_500 ? v2::encode_error(1099, R"({"code":1099,"message":"internal error"})")
                                                : v2::encode_response(answer.dump()));
    while (co_await ws->read()) {
    }
  }

  // The FunASR runtime server: a start message, binary audio, {"is_speaking": false}.
  asio::awaitable<void> funasr(std::shared_ptr<net::WebSocket> ws, HttpRequest req) {
    FakeAsrCall c = start_call("fun_server", req);
    c.auth_ok = req.header("authorization").starts_with("Bearer; ");
    const FakeAsrFault f = take_fault();
    std::string audio;
    bool chunk_ok = false;
    for (;;) {
      auto msg = co_await ws->read();
      if (!msg) {
        record(std::move(c));
        co_return;
      }
      if (msg->binary) {
        audio += msg->data;
        continue;
      }
      json j = protocol::parse_json_text(msg->data);
      c.messages.push_back(j);
      if (c.messages.size() == 1) {
        c.json = j;
        // The C++ 2pass server needs 3 chunk sizes with a non-zero middle one, else it never answers.
        const json& cs = j.is_object() && j.contains("chunk_size") ? j["chunk_size"] : json();
        chunk_ok = cs.is_array() && cs.size() == 3 && cs[1].is_number_integer() && cs[1].get<int>() != 0;
        continue;
      }
      const bool end = j.is_object() && ((j.contains("is_speaking") && j["is_speaking"] == false) ||
                                         (j.contains("is_finished") && j["is_finished"] == true));
      if (end) break;
    }
    c.pcm = samples_of(audio);
    c.sample_rate = 16000;
    std::vector<std::string> pieces;
    FakeFunAsrProfile profile;
    std::chrono::milliseconds quiet;
    {
      std::lock_guard lk(mu);
      pieces = fun_pieces.empty() ? std::vector<std::string>{transcript} : fun_pieces;
      profile = fun_profile;
      quiet = stall;
    }
    const std::string wav_name = c.json.is_object() ? c.json.value("wav_name", "wav-default-id") : "wav-default-id";
    record(c);
    if (f == FakeAsrFault::drop) {
      ws->abort();
      co_return;
    }
    if (f == FakeAsrFault::stall || !chunk_ok) {
      co_await core::sleep_for(quiet);
      co_return;
    }
    if (f == FakeAsrFault::vendor_error) {
      // The 2pass server's only error answer (for non-PCM audio).
      ws->send_text(json({{"is_final", true}, {"mode", "2pass-offline"},
                          {"text", "ERROR. Real-time transcription service ONLY SUPPORT PCM stream."},
                          {"wav_name", wav_name}}).dump());
    } else {
      for (std::size_t i = 0; i < pieces.size(); ++i) {
        const bool last = i + 1 == pieces.size();
        json m = {{"is_final", profile == FakeFunAsrProfile::two_pass && last},
                  {"mode", profile == FakeFunAsrProfile::two_pass ? "2pass-offline" : "offline"},
                  {"text", pieces[i]},
                  {"wav_name", wav_name}};
        ws->send_text(m.dump());  // nlohmann writes keys in order, as the C++ servers do
      }
    }
    // The client closes first.
    while (co_await ws->read()) {
    }
  }
};

FakeAsrVendors::FakeAsrVendors() : impl_(std::make_unique<Impl>()) {
  auto router = std::make_shared<net::HttpRouter>();
  Impl* self = impl_.get();
  net::RouteLimits big;
  big.max_body_bytes = 16 * 1024 * 1024;
  router->add("POST", kQwenPath, [self](HttpRequest& r) { return self->qwen3(r); }, big);
  router->add("POST", kTencentPath, [self](HttpRequest& r) { return self->tencent(r); }, big);
  router->add("POST", kBaiduTokenPath, [self](HttpRequest& r) { return self->baidu_token(r); });
  router->add("GET", kBaiduTokenPath, [self](HttpRequest& r) { return self->baidu_token(r); });
  router->add("POST", kBaiduPath, [self](HttpRequest& r) { return self->baidu(r); }, big);
  router->add("GET", kAliyunTokenPath, [self](HttpRequest& r) { return self->aliyun_token(r); });
  router->add("POST", kAliyunPath, [self](HttpRequest& r) { return self->aliyun(r); }, big);
  impl_->rt.start();
  net::HttpServerOptions o;
  o.name = "fake-asr";
  o.address = "127.0.0.1";
  o.port = 0;
  o.max_body_bytes = 16 * 1024 * 1024;
  o.max_ws_message_bytes = 16 * 1024 * 1024;
  impl_->server = std::make_unique<net::HttpServer>(impl_->rt, o, router);
  impl_->server->set_upgrade_check([](const HttpRequest& req) -> std::optional<HttpResponse> {
    if (req.path == kDoubaoPath && req.header("authorization") != std::string("Bearer; ") + FakeAsrKeys::doubao_token)
      return json_answer(401, {{"code", 1002}, {"message", "invalid token"}});
    return std::nullopt;
  });
  impl_->server->set_websocket_handler([self](std::shared_ptr<net::WebSocket> ws, HttpRequest req) {
    ws->set_max_message_bytes(16 * 1024 * 1024);
    if (req.path == kDoubaoPath)
      asio::co_spawn(ws->executor(), self->doubao(ws, std::move(req)), asio::detached);
    else
      asio::co_spawn(ws->executor(), self->funasr(ws, std::move(req)), asio::detached);
  });
  impl_->server->start();
}

FakeAsrVendors::~FakeAsrVendors() {
  impl_->server->stop_accepting();
  impl_->rt.stop();
  impl_->server.reset();
}

std::uint16_t FakeAsrVendors::port() const { return impl_->server->port(); }

std::string FakeAsrVendors::url(std::string_view vendor) const {
  const std::string base = "http://127.0.0.1:" + std::to_string(port());
  if (vendor == "qwen3") return base + "/compatible-mode/v1";
  if (vendor == "fun_server") return "ws://127.0.0.1:" + std::to_string(port()) + "/";
  if (vendor == "tencent") return base + kTencentPath;
  if (vendor == "baidu") return base + kBaiduPath;
  if (vendor == "baidu_token") return base + kBaiduTokenPath;
  if (vendor == "aliyun") return base + kAliyunPath;
  if (vendor == "aliyun_token") return base + kAliyunTokenPath;
  if (vendor == "doubao") return "ws://127.0.0.1:" + std::to_string(port()) + kDoubaoPath;
  throw std::logic_error("no such fake ASR vendor: " + std::string(vendor));
}

void FakeAsrVendors::set_transcript(std::string text) {
  std::lock_guard lk(impl_->mu);
  impl_->transcript = std::move(text);
}
void FakeAsrVendors::set_funasr_pieces(std::vector<std::string> pieces) {
  std::lock_guard lk(impl_->mu);
  impl_->fun_pieces = std::move(pieces);
}
void FakeAsrVendors::set_funasr_profile(FakeFunAsrProfile profile) {
  std::lock_guard lk(impl_->mu);
  impl_->fun_profile = profile;
}
void FakeAsrVendors::fail_next(FakeAsrFault fault, std::chrono::milliseconds stall) {
  std::lock_guard lk(impl_->mu);
  impl_->fault = fault;
  impl_->stall = stall;
}
void FakeAsrVendors::set_token_lifetime(std::int64_t seconds) {
  std::lock_guard lk(impl_->mu);
  impl_->token_lifetime = seconds;
}
void FakeAsrVendors::revoke_tokens() {
  std::lock_guard lk(impl_->mu);
  impl_->valid_tokens.clear();
}
std::vector<FakeAsrCall> FakeAsrVendors::calls() const {
  std::lock_guard lk(impl_->mu);
  return impl_->calls;
}
std::vector<FakeAsrCall> FakeAsrVendors::calls(std::string_view vendor) const {
  std::lock_guard lk(impl_->mu);
  std::vector<FakeAsrCall> out;
  for (const auto& c : impl_->calls)
    if (c.vendor == vendor) out.push_back(c);
  return out;
}
FakeAsrCall FakeAsrVendors::last_call(std::string_view vendor) const {
  auto all = calls(vendor);
  if (all.empty()) throw std::logic_error("no " + std::string(vendor) + " call yet");
  return all.back();
}

}  // namespace xz::test
