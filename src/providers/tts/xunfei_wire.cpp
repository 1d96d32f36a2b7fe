#include "providers/tts/xunfei_wire.h"

#include <ctime>

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "protocol/encoding.h"
#include "protocol/json_text.h"
#include "protocol/percent_encoding.h"
#include "providers/tts/python_dumps.h"

namespace xz::providers::xunfei {

using ojson = nlohmann::ordered_json;
using json = nlohmann::json;

namespace {

std::string signature_of(std::string_view host, std::string_view path, std::string_view date, std::string_view secret,
                         std::string* origin) {
  std::string o = fmt::format("host: {}\ndate: {}\nGET {} HTTP/1.1", host, date, path);
  std::string sig = protocol::base64_encode(protocol::hmac_sha256(secret, o));
  if (origin) *origin = std::move(o);
  return sig;
}

std::string authorization_line(std::string_view key, std::string_view sig) {
  return fmt::format(R"(api_key="{}", algorithm="hmac-sha256", headers="host date request-line", signature="{}")",
                     key, sig);
}

const json* at(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

int int_at(const json& j, std::initializer_list<const char*> path, int fallback) {
  const json* v = at(j, path);
  return v && v->is_number_integer() ? v->get<int>() : fallback;
}

std::string str_at(const json& j, std::initializer_list<const char*> path) {
  const json* v = at(j, path);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

std::string form_encode(std::string_view s) { return protocol::percent_encode(s, true); }

std::string http_date(long long unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02d} {} {} {:02d}:{:02d}:{:02d} GMT", kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

SignedUrl sign_url(std::string_view base_url, std::string_view api_key, std::string_view api_secret,
                   std::string_view date) {
  auto parsed = boost::urls::parse_uri(base_url);
  if (!parsed) throw WireError("not a URL");
  const std::string host(parsed->encoded_host_and_port());
  std::string path(parsed->encoded_path());
  if (path.empty()) path = "/";
  SignedUrl s;
  s.signature = signature_of(host, path, date, api_secret, &s.signature_origin);
  s.authorization = protocol::base64_encode(authorization_line(api_key, s.signature));
  s.url = std::string(base_url) + "?authorization=" + form_encode(s.authorization) + "&date=" + form_encode(date) +
          "&host=" + form_encode(host);
  return s;
}

std::string check_signed_request(std::string_view host, std::string_view path, std::string_view authorization,
                                 std::string_view date, std::string_view api_key, std::string_view api_secret) {
  if (authorization.empty() || date.empty()) return "HMAC signature cannot be verified, a valid date or x-date header is required";
  auto line = protocol::base64_decode(authorization);
  const std::string expect = authorization_line(api_key, signature_of(host, path, date, api_secret, nullptr));
  if (!line || !protocol::constant_time_equal(*line, expect)) return "HMAC signature does not match";
  return {};
}

std::string request(int status, int seq, std::string_view text, const TtsParams& p) {
  ojson audio = ojson::object();
  audio["encoding"] = "raw";
  audio["sample_rate"] = p.sample_rate;
  audio["channels"] = 1;
  audio["bit_depth"] = 16;
  audio["frame_size"] = 0;
  ojson tts = ojson::object();
  tts["vcn"] = p.voice;
  tts["speed"] = p.speed;
  tts["volume"] = p.volume;
  tts["pitch"] = p.pitch;
  tts["bgs"] = 0;
  tts["reg"] = 0;
  tts["rdn"] = 0;
  tts["rhy"] = 0;
  tts["audio"] = std::move(audio);
  ojson oral = ojson::object();
  oral["oral_level"] = p.oral_level;
  oral["spark_assist"] = p.spark_assist;
  oral["stop_split"] = p.stop_split;
  oral["remain"] = p.remain;
  ojson text_part = ojson::object();
  text_part["encoding"] = "utf8";
  text_part["compress"] = "raw";
  text_part["format"] = "plain";
  text_part["status"] = status;
  text_part["seq"] = seq;
  text_part["text"] = protocol::base64_encode(text);
  ojson m = ojson::object();
  m["header"] = ojson{{"app_id", p.app_id}, {"status", status}};
  m["parameter"] = ojson{{"oral", std::move(oral)}, {"tts", std::move(tts)}};
  m["payload"] = ojson{{"text", std::move(text_part)}};
  return python_dumps(m);
}

ServerFrame parse_server_frame(std::string_view text) {
  auto j = protocol::parse_json_text(text);
  if (!j.is_object()) throw WireError("not a JSON object");
  const json* h = at(j, {"header"});
  if (!h || !h->is_object()) throw WireError("no header");
  ServerFrame f;
  f.code = int_at(j, {"header", "code"}, -1);
  if (f.code == -1 && !(at(j, {"header", "code"}))) throw WireError("the header has no code");
  f.message = str_at(j, {"header", "message"});
  f.sid = str_at(j, {"header", "sid"});
  f.status = int_at(j, {"header", "status"}, 0);
  if (const json* a = at(j, {"payload", "audio"}); a && a->is_object()) {
    f.audio_status = int_at(*a, {"status"}, 1);
    f.sample_rate = int_at(*a, {"sample_rate"}, 24000);
    const std::string b64 = str_at(*a, {"audio"});
    auto pcm = protocol::base64_decode(b64);
    if (!pcm) throw WireError("audio is not base64");
    f.audio = std::move(*pcm);
  }
  return f;
}

std::string make_server_frame(int code, std::string_view message, int status, int audio_status, std::string_view pcm,
                              int seq, int sample_rate) {
  json audio = {{"encoding", "raw"}, {"sample_rate", sample_rate}, {"channels", 1},   {"bit_depth", 16},
                {"status", audio_status}, {"seq", seq},           {"audio", protocol::base64_encode(pcm)}, {"frame_size", 0}};
  json m = {{"header", {{"code", code}, {"message", std::string(message)}, {"sid", "tts000fake"}, {"status", status}}}};
  if (code == 0) m["payload"] = {{"audio", std::move(audio)}};
  return m.dump();
}

ClientFrame parse_client_frame(std::string_view text) {
  auto j = protocol::parse_json_text(text);
  if (!j.is_object()) throw WireError("not a JSON object");
  ClientFrame f;
  f.app_id = str_at(j, {"header", "app_id"});
  f.status = int_at(j, {"header", "status"}, -1);
  f.seq = int_at(j, {"payload", "text", "seq"}, 0);
  auto t = protocol::base64_decode(str_at(j, {"payload", "text", "text"}));
  if (!t) throw WireError("text is not base64");
  f.text = std::move(*t);
  f.sample_rate = int_at(j, {"parameter", "tts", "audio", "sample_rate"}, 0);
  f.voice = str_at(j, {"parameter", "tts", "vcn"});
  return f;
}

}  // namespace xz::providers::xunfei
