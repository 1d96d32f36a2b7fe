#include "support/fake_tts_vendors.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "audio/resampler.h"
#include "protocol/encoding.h"
#include "providers/tts/aliyun_wire.h"
#include "support/encoded_audio.h"
#include "support/peer_close.h"
#include "support/speech.h"

namespace xz::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;
template <class T = void>
using Task = asio::awaitable<T>;
using Request = http::request<http::string_body>;

namespace {

const std::map<std::string, std::string>& vendor_paths() {
  static const std::map<std::string, std::string> m = {
      {"siliconflow", "/siliconflow/v1/audio/speech"}, {"custom", "/custom/v1/audio/speech"},
      {"fishspeech", "/fish/v1/tts"},                  {"gpt_sovits_v2", "/sovits2/tts"},
      {"gpt_sovits_v3", "/sovits3"},                   {"minimax", "/minimax/v1/t2a_v2"},
      {"doubao", "/doubao/api/v1/tts"},                {"cozecn", "/coze/v1/audio/speech"},
      {"tencent", "/tencent/"},                        {"paddle_http", "/paddlespeech/tts"},
      {"paddle_ws", "/paddlespeech/tts/streaming"},    {"index_stream", "/index/tts"},
      {"aliyun", "/aliyun/stream/v1/tts"},             {"aliyun_token", "/aliyun-token/"}};
  return m;
}

std::string hex_lower(const unsigned char* p, std::size_t n) {
  std::string out;
  char buf[3];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", p[i]);
    out += buf;
  }
  return out;
}

std::string sha256_hex(std::string_view s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return hex_lower(d, sizeof d);
}

std::string hmac(std::string_view key, std::string_view msg) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), out, &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

// Tencent's check of a TC3-HMAC-SHA256 request, from its documentation (written here
// apart from the client's code, which it checks).
bool tencent_signature_ok(const Request& req) {
  const std::string auth(req[http::field::authorization]);
  const std::string ts(req["X-TC-Timestamp"]);
  if (ts.empty()) return false;
  const long long t = std::stoll(ts);
  if (std::llabs(t - static_cast<long long>(std::time(nullptr))) > 300) return false;
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
  const std::string canonical = "POST\n/\n\ncontent-type:" + std::string(req[http::field::content_type]) +
                                "\nhost:" + std::string(req[http::field::host]) + "\n\ncontent-type;host\n" +
                                sha256_hex(req.body());
  const std::string scope = std::string(date) + "/tts/tc3_request";
  const std::string to_sign = "TC3-HMAC-SHA256\n" + ts + "\n" + scope + "\n" + sha256_hex(canonical);
  const std::string k = hmac(hmac(hmac(std::string("TC3") + FakeVendorKeys::tencent_key, date), "tts"), "tc3_request");
  const std::string sig = hmac(k, to_sign);
  const std::string expected = "TC3-HMAC-SHA256 Credential=" + std::string(FakeVendorKeys::tencent_id) + "/" + scope +
                               ", SignedHeaders=content-type;host, Signature=" +
                               hex_lower(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
  return auth == expected;
}

std::string raw_pcm(const std::vector<std::int16_t>& pcm) {
  std::string out;
  out.reserve(pcm.size() * 2);
  for (auto s : pcm) {
    out += static_cast<char>(s & 0xFF);
    out += static_cast<char>((static_cast<std::uint16_t>(s) >> 8) & 0xFF);
  }
  return out;
}

Task<void> sleep(std::chrono::milliseconds d) {
  if (d.count() <= 0) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

// What a handler answers.
struct Plan {
  int status = 200;
  std::string content_type = "application/octet-stream";
  std::vector<std::string> pieces;  // the body, in the pieces it is written in
  bool audio = true;                // the pieces carry the audio (timed, faults apply)
};

Plan error_plan(int status, std::string body, std::string type = "application/json") {
  Plan p;
  p.status = status;
  p.content_type = std::move(type);
  p.pieces = {std::move(body)};
  p.audio = false;
  return p;
}

constexpr std::string_view kGarbage = "this is not audio, only text standing in for it. ";

}  // namespace

struct FakeTtsVendors::Impl {
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::optional<std::pair<std::vector<std::int16_t>, int>> speech;
  std::size_t chunk_bytes = 4096;
  std::chrono::milliseconds interval{0};
  FakeVendorFault fault = FakeVendorFault::none;
  std::vector<FakeVendorCall> calls;
  std::vector<std::int16_t> last_speech;
  int last_rate = 0;
  std::optional<Clock::time_point> first_sent, last_sent;
  std::size_t closed = 0;
  std::uint16_t port = 0;
  // Aliyun's CreateToken tokens handed out: id -> expiry (unix seconds).
  std::map<std::string, long long> aliyun_tokens;
  long long aliyun_token_lifetime = 3600;
  int aliyun_tokens_made = 0;

  std::unique_ptr<asio::io_context> io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;

  FakeVendorFault take_fault() {
    std::lock_guard lk(mu);
    return std::exchange(fault, FakeVendorFault::none);
  }
  std::size_t chunk() const {
    std::lock_guard lk(mu);
    return std::max<std::size_t>(1, chunk_bytes);
  }
  void note_closed() {
    {
      std::lock_guard lk(mu);
      ++closed;
    }
    cv.notify_all();
  }
  void record(FakeVendorCall c) {
    {
      std::lock_guard lk(mu);
      calls.push_back(std::move(c));
    }
    cv.notify_all();
  }

  // The speech of `text` at `rate` (or the test's own), remembered as the latest.
  std::vector<std::int16_t> speak(const std::string& text, int rate) {
    std::optional<std::pair<std::vector<std::int16_t>, int>> own;
    {
      std::lock_guard lk(mu);
      own = speech;
    }
    auto pcm = own ? audio::resample_once(own->first, own->second, rate)
                   : audio::resample_once(flite_speech(text.empty() ? "empty" : text), 16000, rate);
    std::lock_guard lk(mu);
    last_speech = pcm;
    last_rate = rate;
    return pcm;
  }

  // The text's speech as a file of `format` at `rate`; garbage when the fault says so.
  std::string audio_file(const std::string& text, const std::string& format, int rate, bool garbage) {
    if (garbage) {
      std::string junk;
      while (junk.size() < 6000) junk += kGarbage;
      return junk;
    }
    const auto pcm = speak(text, format == "opus" || format == "ogg_opus" ? 48000 : rate);
    if (format == "wav") return encode_wav(pcm, rate);
    if (format == "mp3") return encode_mp3(pcm, rate, 1, 64, false);
    if (format == "flac") return encode_flac(pcm, rate);
    if (format == "opus" || format == "ogg_opus") return make_ogg_opus(pcm);
    if (format == "aac") return encode_adts_aac(pcm, rate);
    return raw_pcm(pcm);
  }

  // `bytes` in this fake's piece size.
  std::vector<std::string> pieces(const std::string& bytes) const {
    std::vector<std::string> out;
    const std::size_t n = chunk();
    for (std::size_t at = 0; at < bytes.size(); at += n) out.push_back(bytes.substr(at, n));
    if (out.empty()) out.emplace_back();
    return out;
  }
};

namespace {

using Impl = FakeTtsVendors::Impl;

std::string bearer_token(const Request& req) {
  std::string a(req[http::field::authorization]);
  return a.rfind("Bearer ", 0) == 0 ? a.substr(7) : std::string();
}

Plan audio_plan(Impl* self, std::string type, const std::string& file) {
  Plan p;
  p.content_type = std::move(type);
  p.pieces = self->pieces(file);
  return p;
}

// ---------------------------------------------------------------- the vendors

Plan siliconflow(Impl* self, const Request& req, FakeVendorCall& call, FakeVendorFault fault) {
  if (bearer_token(req) != FakeVendorKeys::siliconflow) return error_plan(401, "\"Invalid token\"");
  if (fault == FakeVendorFault::vendor_error)
    return error_plan(400, R"({"code":20012,"message":"Model does not exist. Please check it carefully.","data":null})");
  const json& b = call.json;
  const std::string model = b.value("model", ""), voice = b.value("voice", "");
  if (!b.contains("input") || !b["input"].is_string() || model.empty())
    return error_plan(400, R"({"code":20015,"message":"input and model are required","data":null})");
  if (voice.rfind(model + ":", 0) != 0 && voice.rfind("speech:", 0) != 0)
    return error_plan(400, R"({"code":20015,"message":"voice must be <model>:<name>","data":null})");
  const std::string format = b.value("response_format", "mp3");
  if (format != "mp3" && format != "opus" && format != "wav" && format != "pcm")
    return error_plan(400, R"({"code":20015,"message":"unsupported response_format","data":null})");
  const int rate = b.value("sample_rate", format == "mp3" ? 44100 : 44100);
  return audio_plan(self, "audio/" + format,
                    self->audio_file(b["input"], format, rate, fault == FakeVendorFault::garbage_audio));
}

Plan custom(Impl* self, const Request& req, FakeVendorCall& call, FakeVendorFault fault) {
  if (fault == FakeVendorFault::vendor_error) return error_plan(500, "Internal Server Error", "text/plain");
  std::string text, format = "mp3";
  if (req.method() == http::verb::post) {
    text = call.json.value("input", "");
    format = call.json.value("response_format", "mp3");
  } else {
    text = call.query["input"];
    if (!call.query["response_format"].empty()) format = call.query["response_format"];
  }
  if (text.empty()) return error_plan(422, R"({"detail":[{"loc":["body","input"],"msg":"field required"}]})");
  return audio_plan(self, "audio/" + format, self->audio_file(text, format, 24000, fault == FakeVendorFault::garbage_audio));
}

Plan fishspeech(Impl* self, const Request& req, FakeVendorCall& call, FakeVendorFault fault) {
  if (bearer_token(req) != FakeVendorKeys::fish) return error_plan(401, R"({"detail":"Invalid token"})");
  if (req[http::field::content_type] != "application/msgpack")
    return error_plan(415, R"({"detail":"expected application/msgpack"})");
  try {
    call.json = json::from_msgpack(req.body());
  } catch (const json::exception&) {
    return error_plan(400, R"({"detail":"body is not MessagePack"})");
  }
  if (fault == FakeVendorFault::vendor_error)
    return error_plan(500, R"({"statusCode":500,"message":"CUDA out of memory"})");
  const json& b = call.json;
  const auto bad = [](const char* what) { return error_plan(422, json{{"detail", what}}.dump()); };
  if (!b.contains("text") || !b["text"].is_string()) return bad("text is required");
  if (!b["chunk_length"].is_number_integer() || b["chunk_length"] < 100 || b["chunk_length"] > 300)
    return bad("chunk_length must be an integer 100-300");
  if (!b["top_p"].is_number_float() || b["top_p"] < 0.1 || b["top_p"] > 1.0) return bad("top_p must be 0.1-1.0");
  if (!b["references"].is_array()) return bad("references must be a list");
  for (const auto& r : b["references"])
    if (!r["audio"].is_binary() || !r["text"].is_string()) return bad("a reference is {audio: bytes, text}");
  const std::string format = b.value("format", "wav");
  return audio_plan(self, "audio/" + format,
                    self->audio_file(b["text"], format, 44100, fault == FakeVendorFault::garbage_audio));
}

Plan gpt_sovits_v2(Impl* self, const Request&, FakeVendorCall& call, FakeVendorFault fault) {
  const json& b = call.json;
  if (fault == FakeVendorFault::vendor_error)
    return error_plan(400, R"({"message":"tts failed","Exception":"CUDA error: out of memory"})");
  if (!b.is_object() || !b["text"].is_string() || !b["ref_audio_path"].is_string())
    return error_plan(400, R"({"message":"ref_audio_path is required"})");
  return audio_plan(self, "audio/wav", self->audio_file(b["text"], "wav", 32000, fault == FakeVendorFault::garbage_audio));
}

Plan gpt_sovits_v3(Impl* self, const Request&, FakeVendorCall& call, FakeVendorFault fault) {
  if (fault == FakeVendorFault::vendor_error) return error_plan(400, R"({"code":400,"message":"refer_wav_path not found"})");
  const auto text = call.query["text"];
  if (text.empty()) return error_plan(400, R"({"code":400,"message":"text is required"})");
  // api.py parses these itself: Python literals, or missing.
  for (const char* key : {"if_sr"})
    if (call.query.count(key) && call.query[key] != "True" && call.query[key] != "False")
      return error_plan(400, R"({"code":400,"message":"if_sr must be True or False"})");
  return audio_plan(self, "audio/wav", self->audio_file(text, "wav", 32000, fault == FakeVendorFault::garbage_audio));
}

std::string minimax_line(const std::string& hex, int status, bool summary) {
  json j = {{"data", {{"audio", hex}, {"status", status}, {"ced", ""}}},
            {"trace_id", "0123456789abcdef"},
            {"base_resp", {{"status_code", 0}, {"status_msg", summary ? "success" : ""}}}};
  if (summary) j["extra_info"] = {{"audio_format", "pcm"}, {"audio_channel", 1}};
  return "data: " + j.dump() + "\n\n";
}

Plan minimax(Impl* self, const Request& req, FakeVendorCall& call, FakeVendorFault fault) {
  Plan p;
  p.content_type = "text/event-stream";
  const auto refuse = [&](int code, const char* msg) {
    p.pieces = {"data: " + json{{"base_resp", {{"status_code", code}, {"status_msg", msg}}}}.dump() + "\n\n"};
    p.audio = false;
    return p;
  };
  if (bearer_token(req) != FakeVendorKeys::minimax_key || call.query["GroupId"] != FakeVendorKeys::minimax_group)
    return refuse(1004, "login fail: Please carry the API secret key");
  if (fault == FakeVendorFault::vendor_error) return refuse(1002, "rate limit exceeded");
  const json& b = call.json;
  if (!b.value("stream", false) || !b["text"].is_string() || !b["audio_setting"].is_object())
    return refuse(2013, "invalid params");
  const std::string format = b["audio_setting"].value("format", "mp3");
  const int rate = b["audio_setting"].value("sample_rate", 32000);
  std::string audio = self->audio_file(b["text"], format, rate, false);
  for (const auto& piece : self->pieces(audio))
    p.pieces.push_back(minimax_line(fault == FakeVendorFault::garbage_audio ? std::string("zz") : xz::protocol::hex_encode(piece),
                                    1, false));
  p.pieces.push_back(minimax_line(xz::protocol::hex_encode(audio), 2, true));
  return p;
}

Plan doubao(Impl* self, const Request& req, FakeVendorCall& call, FakeVendorFault fault) {
  const std::string expected = std::string("Bearer;") + FakeVendorKeys::doubao_token;
  const json& b = call.json;
  if (req[http::field::authorization] != expected || !b.is_object() || b["app"].value("token", "") != FakeVendorKeys::doubao_token)
    return error_plan(401, R"({"reqid":"","code":3001,"message":"authenticate request: invalid token"})");
  if (fault == FakeVendorFault::vendor_error)
    return error_plan(400, json{{"reqid", b["request"].value("reqid", "")}, {"code", 3050}, {"message", "voice_type not found"}}.dump());
  const std::string encoding = b["audio"].value("encoding", "wav");
  const std::string file = self->audio_file(b["request"].value("text", ""), encoding == "ogg_opus" ? "opus" : encoding, 24000,
                                            fault == FakeVendorFault::garbage_audio);
  Plan p;
  p.content_type = "application/json";
  p.pieces = self->pieces(json{{"reqid", b["request"].value("reqid", "")},
                               {"code", 3000},
                               {"operation", "query"},
                               {"message", "Success"},
                               {"sequence", -1},
                               {"data", xz::protocol::base64_encode(file)},
                               {"addition", {{"duration", "1000"}}}}
                              .dump());
  return p;
}

Plan cozecn(Impl* self, const Request& req, FakeVendorCall& call, FakeVendorFault fault) {
  if (bearer_token(req) != FakeVendorKeys::coze) return error_plan(401, R"({"code":4100,"msg":"authentication is invalid"})");
  if (fault == FakeVendorFault::vendor_error) return error_plan(400, R"({"code":4000,"msg":"voice_id is invalid"})");
  const json& b = call.json;
  if (!b["input"].is_string() || !b["voice_id"].is_string())
    return error_plan(400, R"({"code":4000,"msg":"input and voice_id are required"})");
  const std::string format = b.value("response_format", "mp3");
  return audio_plan(self, "audio/" + format, self->audio_file(b["input"], format, 24000, fault == FakeVendorFault::garbage_audio));
}

Plan tencent(Impl* self, const Request& req, FakeVendorCall& call, FakeVendorFault fault) {
  const auto tc_error = [](const char* code, const char* msg) {
    Plan p = error_plan(200, json{{"Response", {{"Error", {{"Code", code}, {"Message", msg}}}, {"RequestId", "r-1"}}}}.dump());
    return p;
  };
  if (req["X-TC-Action"] != "TextToVoice" || req["X-TC-Version"] != "2019-08-23" || req["X-TC-Region"].empty())
    return tc_error("InvalidAction", "The action, version or region is missing.");
  if (!tencent_signature_ok(req)) return tc_error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.");
  if (fault == FakeVendorFault::vendor_error) return tc_error("UnsupportedOperation.TextTooLong", "Text too long.");
  const json& b = call.json;
  if (!b["Text"].is_string() || !b["VoiceType"].is_number_integer() || !b["SessionId"].is_string())
    return tc_error("InvalidParameter", "Text, SessionId and VoiceType are required.");
  const std::string wav = self->audio_file(b["Text"], "wav", 16000, fault == FakeVendorFault::garbage_audio);
  Plan p;
  p.content_type = "application/json";
  p.pieces = self->pieces(json{{"Response", {{"Audio", xz::protocol::base64_encode(wav)}, {"SessionId", b["SessionId"]},
                                             {"RequestId", "r-2"}}}}
                              .dump());
  return p;
}

Plan paddle_http(Impl* self, const Request&, FakeVendorCall& call, FakeVendorFault fault) {
  if (fault == FakeVendorFault::vendor_error)
    return error_plan(200, R"({"success":false,"code":200,"message":{"description":"tts synthesis failed"}})");
  const json& b = call.json;
  if (!b["text"].is_string() || !b["spk_id"].is_number_integer())
    return error_plan(200, R"({"success":false,"code":200,"message":{"description":"text and spk_id are required"}})");
  const std::string wav = self->audio_file(b["text"], "wav", 24000, fault == FakeVendorFault::garbage_audio);
  Plan p;
  p.content_type = "application/json";
  p.pieces = self->pieces(json{{"success", true},
                               {"code", 200},
                               {"message", {{"description", "success"}}},
                               {"result", {{"lang", "zh"}, {"spk_id", b["spk_id"]}, {"audio", xz::protocol::base64_encode(wav)}}}}
                              .dump());
  return p;
}

Plan index_stream(Impl* self, const Request&, FakeVendorCall& call, FakeVendorFault fault) {
  if (fault == FakeVendorFault::vendor_error) return error_plan(500, R"({"detail":"character not found"})");
  const json& b = call.json;
  if (!b["text"].is_string() || !b["character"].is_string()) return error_plan(422, R"({"detail":"text and character"})");
  // Raw PCM has no wrong bytes, only a wrong length: garbage is an odd byte count of junk.
  std::string pcm = self->audio_file(b["text"], "pcm", 24000, false);
  if (fault == FakeVendorFault::garbage_audio) pcm = std::string(kGarbage).substr(0, 49);
  return audio_plan(self, "application/octet-stream", pcm);
}

// Aliyun NLS: CreateToken (spec §5A; the POP signature recomputed with the fake's
// secret) and the RESTful TTS (the reference's aliyun.py: appkey and token in the JSON
// body; the audio file, or {"task_id","result","status","message"} on an error).
Plan aliyun_token(Impl* self, const Request&, FakeVendorCall& call, FakeVendorFault fault) {
  std::vector<std::pair<std::string, std::string>> query(call.query.begin(), call.query.end());
  const auto check = xz::providers::aliyun::check_token_request(query, FakeVendorKeys::aliyun_key_secret);
  if (!check.ok || check.access_key_id != FakeVendorKeys::aliyun_key_id)
    return error_plan(400, json{{"RequestId", "fake"},
                                {"Message", check.ok ? "Specified access key is not found." : check.why},
                                {"Code", check.ok ? "InvalidAccessKeyId.NotFound" : "SignatureDoesNotMatch"}}
                               .dump());
  if (fault == FakeVendorFault::vendor_error)
    return error_plan(500, R"({"RequestId":"fake","Message":"The request processing has failed due to some unknown error.","Code":"UnknownError"})");
  std::lock_guard lk(self->mu);
  const std::string id = fmt::format("{:032x}", ++self->aliyun_tokens_made);
  const long long expire = static_cast<long long>(std::time(nullptr)) + self->aliyun_token_lifetime;
  self->aliyun_tokens[id] = expire;
  Plan p;
  p.content_type = "application/json";
  p.pieces = {json{{"NlsRequestId", "fake"}, {"RequestId", "fake"}, {"ErrMsg", ""},
                   {"Token", {{"ExpireTime", expire}, {"Id", id}, {"UserId", "123"}}}}
                  .dump()};
  return p;
}

Plan aliyun(Impl* self, const Request&, FakeVendorCall& call, FakeVendorFault fault) {
  const json& b = call.json;
  const auto nls_error = [](int http, long long status, const std::string& message) {
    return error_plan(http, json{{"task_id", "0123456789abcdef0123456789abcdef"}, {"result", ""}, {"status", status},
                                 {"message", message}}
                                .dump());
  };
  if (!b.is_object() || !b["text"].is_string())
    return nls_error(400, 40000000, "Gateway:CLIENT_ERROR:Missing parameter text!");
  if (b.value("appkey", "") != FakeVendorKeys::aliyun_appkey)
    return nls_error(400, 40020105, "Meta:APPKEY_NOT_EXIST:Appkey not exist!");
  const std::string token = b.value("token", "");
  bool known = token == FakeVendorKeys::aliyun_token;
  {
    std::lock_guard lk(self->mu);
    auto it = self->aliyun_tokens.find(token);
    known = known || (it != self->aliyun_tokens.end() && it->second > static_cast<long long>(std::time(nullptr)));
  }
  if (!known) return nls_error(401, 40000001, "Gateway:ACCESS_DENIED:The token '" + token + "' is invalid!");
  if (fault == FakeVendorFault::vendor_error)
    return nls_error(400, 40000000, "Gateway:CLIENT_ERROR:The voice 'nobody' is not supported!");
  const std::string format = b.value("format", "pcm");
  const int rate = b.value("sample_rate", 16000);
  if (format != "wav" && format != "mp3" && format != "pcm")
    return nls_error(400, 40000000, "Gateway:CLIENT_ERROR:The format '" + format + "' is not supported!");
  return audio_plan(self, format == "mp3" ? "audio/mpeg" : "audio/" + format,
                    self->audio_file(b["text"], format, rate, fault == FakeVendorFault::garbage_audio));
}

// ---------------------------------------------------------------- HTTP

template <class Stream>
Task<bool> write_plan(Impl* self, Stream& stream, const Plan& plan, FakeVendorFault fault) {
  if (!plan.audio || plan.status != 200) {
    http::response<http::string_body> res{static_cast<http::status>(plan.status), 11};
    res.set(http::field::content_type, plan.content_type);
    for (const auto& p : plan.pieces) res.body() += p;
    res.prepare_payload();
    auto [ec, n] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    co_return !ec;
  }
  http::response<http::empty_body> res{http::status::ok, 11};
  res.set(http::field::content_type, plan.content_type);
  res.chunked(true);
  http::response_serializer<http::empty_body> sr{res};
  auto [hec, hn] = co_await http::async_write_header(stream, sr, asio::as_tuple(asio::use_awaitable));
  if (hec) co_return false;
  std::chrono::milliseconds interval;
  {
    std::lock_guard lk(self->mu);
    interval = self->interval;
    self->first_sent.reset();
    self->last_sent.reset();
  }
  for (std::size_t i = 0; i < plan.pieces.size(); ++i) {
    if (i > 0) co_await sleep(interval);
    if (fault == FakeVendorFault::drop_mid_body && i == std::max<std::size_t>(1, plan.pieces.size() / 2)) {
      error_code ignored;
      beast::get_lowest_layer(stream).socket().close(ignored);
      co_return false;
    }
    const auto& piece = plan.pieces[i];
    auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(piece)), asio::as_tuple(asio::use_awaitable));
    if (ec) co_return false;
    {
      std::lock_guard lk(self->mu);
      if (!self->first_sent) self->first_sent = Clock::now();
      self->last_sent = Clock::now();
    }
    if (fault == FakeVendorFault::stall) {
      co_await wait_for_peer_close(beast::get_lowest_layer(stream).socket());
      co_return false;
    }
  }
  auto [lec, ln] = co_await asio::async_write(stream, http::make_chunk_last(), asio::as_tuple(asio::use_awaitable));
  co_return !lec;
}

// PaddleSpeech's streaming protocol on an upgraded connection.
Task<void> serve_paddle_ws(Impl* self, beast::tcp_stream stream, Request req, FakeVendorFault fault) {
  websocket::stream<beast::tcp_stream> ws(std::move(stream));
  auto [aec] = co_await ws.async_accept(req, asio::as_tuple(asio::use_awaitable));
  if (aec) co_return;
  FakeVendorCall call;
  call.vendor = "paddle_ws";
  call.method = "GET";
  call.target = std::string(req.target());
  call.path = call.target;
  auto next = [&]() -> Task<std::optional<json>> {
    beast::flat_buffer buf;
    auto [ec, n] = co_await ws.async_read(buf, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return std::nullopt;
    auto j = json::parse(beast::buffers_to_string(buf.data()), nullptr, false);
    call.messages.push_back(j);
    co_return j;
  };
  auto send = [&](const json& j) -> Task<bool> {
    ws.text(true);
    auto [ec, n] = co_await ws.async_write(asio::buffer(j.dump()), asio::as_tuple(asio::use_awaitable));
    co_return !ec;
  };
  bool recorded = false;
  const auto record = [&] {
    if (!recorded) self->record(call);
    recorded = true;
  };
  const auto finish = [&] {
    record();
    self->note_closed();
  };
  auto start = co_await next();
  if (!start || (*start)["task"] != "tts" || (*start)["signal"] != "start") co_return finish();
  if (fault == FakeVendorFault::vendor_error) {
    const json busy = {{"status", -1}, {"signal", "server busy"}};
    co_await send(busy);
    co_return finish();
  }
  const json ready = {{"status", 0}, {"signal", "server ready"}, {"session", "sess-1"}};
  if (!co_await send(ready)) co_return finish();
  auto text = co_await next();
  if (!text || !(*text)["text"].is_string()) co_return finish();
  const std::string pcm = self->audio_file((*text)["text"], "pcm", 24000, false);
  const auto pieces = self->pieces(pcm);
  std::chrono::milliseconds interval;
  {
    std::lock_guard lk(self->mu);
    interval = self->interval;
  }
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) co_await sleep(interval);
    if (fault == FakeVendorFault::drop_mid_body && i == pieces.size() / 2) {
      error_code ignored;
      beast::get_lowest_layer(ws).socket().close(ignored);
      co_return finish();
    }
    const std::string audio = fault == FakeVendorFault::garbage_audio ? std::string("%%%not base64%%%")
                                                                     : xz::protocol::base64_encode(pieces[i]);
    const json piece = {{"status", 1}, {"audio", audio}};
    if (!co_await send(piece)) co_return finish();
    {
      std::lock_guard lk(self->mu);
      if (i == 0) self->first_sent = Clock::now();
      self->last_sent = Clock::now();
    }
    if (fault == FakeVendorFault::stall) {
      while (co_await next()) {
      }
      co_return finish();
    }
  }
  const json last = {{"status", 2}, {"audio", ""}};
  if (!co_await send(last)) co_return finish();
  auto end = co_await next();
  record();
  const json bye = {{"status", 0}, {"signal", "connection will be closed"}, {"session", "sess-1"}};
  if (end && (*end)["signal"] == "end") co_await send(bye);
  while (co_await next()) {
  }
  finish();
}

Task<void> serve_connection(Impl* self, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buf;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(8 * 1024 * 1024);
    auto [ec, n] = co_await http::async_read(stream, buf, parser, asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    Request req = parser.release();
    const FakeVendorFault fault = self->take_fault();
    auto u = boost::urls::parse_origin_form(req.target());
    FakeVendorCall call;
    call.method = std::string(req.method_string());
    call.target = std::string(req.target());
    call.path = u ? std::string(u->path()) : call.target;
    if (u)
      for (auto q : u->params()) call.query[std::string(q.key)] = std::string(q.value);
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      call.headers[name] = std::string(f.value());
    }
    call.body = req.body();
    call.json = json::parse(req.body(), nullptr, false);
    if (call.json.is_discarded()) call.json = nullptr;

    if (websocket::is_upgrade(req) && call.path == vendor_paths().at("paddle_ws")) {
      co_await serve_paddle_ws(self, std::move(stream), std::move(req), fault);
      co_return;
    }
    using Handler = Plan (*)(Impl*, const Request&, FakeVendorCall&, FakeVendorFault);
    static const std::map<std::string, Handler> handlers = {
        {"siliconflow", siliconflow}, {"custom", custom},   {"fishspeech", fishspeech},   {"gpt_sovits_v2", gpt_sovits_v2},
        {"gpt_sovits_v3", gpt_sovits_v3}, {"minimax", minimax}, {"doubao", doubao},     {"cozecn", cozecn},
        {"tencent", tencent},         {"paddle_http", paddle_http}, {"index_stream", index_stream},
        {"aliyun", aliyun},           {"aliyun_token", aliyun_token}};
    Plan plan = error_plan(404, R"({"detail":"Not Found"})");
    for (const auto& [vendor, path] : vendor_paths()) {
      if (call.path != path || !handlers.count(vendor)) continue;
      call.vendor = vendor;
      plan = handlers.at(vendor)(self, req, call, fault);
    }
    self->record(call);
    const bool keep = co_await write_plan(self, stream, plan, fault);
    if (!keep || !req.keep_alive()) break;
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  self->note_closed();
}

Task<void> accept_loop(Impl* self) {
  for (;;) {
    auto [ec, socket] = co_await self->acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;
    }
    asio::co_spawn(*self->io, serve_connection(self, std::move(socket)), asio::detached);
  }
}

}  // namespace

FakeTtsVendors::FakeTtsVendors() : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  s.io = std::make_unique<asio::io_context>(1);
  s.acceptor = std::make_unique<tcp::acceptor>(*s.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  s.port = s.acceptor->local_endpoint().port();
  asio::co_spawn(*s.io, accept_loop(&s), asio::detached);
  s.thread = std::thread([io = s.io.get()] { io->run(); });
}

FakeTtsVendors::~FakeTtsVendors() {
  auto& s = *impl_;
  s.io->stop();
  s.thread.join();
  s.acceptor.reset();
  s.io.reset();
}

std::string FakeTtsVendors::url(std::string_view vendor) const {
  const auto& path = vendor_paths().at(std::string(vendor));
  return std::string(vendor == "paddle_ws" ? "ws" : "http") + "://127.0.0.1:" + std::to_string(impl_->port) + path;
}

void FakeTtsVendors::set_speech(std::vector<std::int16_t> pcm, int rate) {
  std::lock_guard lk(impl_->mu);
  impl_->speech.emplace(std::move(pcm), rate);
}
void FakeTtsVendors::set_chunking(std::size_t bytes, std::chrono::milliseconds interval) {
  std::lock_guard lk(impl_->mu);
  impl_->chunk_bytes = bytes;
  impl_->interval = interval;
}
void FakeTtsVendors::set_aliyun_token_lifetime(std::chrono::seconds lifetime) {
  std::lock_guard lk(impl_->mu);
  impl_->aliyun_token_lifetime = lifetime.count();
}

void FakeTtsVendors::revoke_aliyun_tokens() {
  std::lock_guard lk(impl_->mu);
  impl_->aliyun_tokens.clear();
}

void FakeTtsVendors::fail_next(FakeVendorFault fault) {
  std::lock_guard lk(impl_->mu);
  impl_->fault = fault;
}
std::vector<FakeVendorCall> FakeTtsVendors::calls() const {
  std::lock_guard lk(impl_->mu);
  return impl_->calls;
}
FakeVendorCall FakeTtsVendors::last_call() const {
  std::lock_guard lk(impl_->mu);
  if (impl_->calls.empty()) throw std::logic_error("no call yet");
  return impl_->calls.back();
}
std::vector<std::int16_t> FakeTtsVendors::last_speech() const {
  std::lock_guard lk(impl_->mu);
  return impl_->last_speech;
}
int FakeTtsVendors::last_rate() const {
  std::lock_guard lk(impl_->mu);
  return impl_->last_rate;
}
std::optional<Clock::time_point> FakeTtsVendors::first_piece_sent() const {
  std::lock_guard lk(impl_->mu);
  return impl_->first_sent;
}
std::optional<Clock::time_point> FakeTtsVendors::last_piece_sent() const {
  std::lock_guard lk(impl_->mu);
  return impl_->last_sent;
}
bool FakeTtsVendors::wait_for_calls(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->calls.size() >= n; });
}
bool FakeTtsVendors::wait_for_closed_connections(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->closed >= n; });
}

}  // namespace xz::test
