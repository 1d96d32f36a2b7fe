#include "providers/tts/aliyun_wire.h"

#include <algorithm>
#include <ctime>
#include <map>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "protocol/encoding.h"
#include "protocol/json_text.h"
#include "protocol/percent_encoding.h"
#include "providers/tts/python_dumps.h"

namespace xz::providers::aliyun {

using ojson = nlohmann::ordered_json;

namespace {

std::string hmac_sha1(std::string_view key, std::string_view msg) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::map<std::string, std::string> params_of(const TokenRequest& r) {
  return {{"AccessKeyId", r.access_key_id}, {"Action", "CreateToken"},       {"Format", "JSON"},
          {"RegionId", "cn-shanghai"},      {"SignatureMethod", "HMAC-SHA1"}, {"SignatureNonce", r.nonce},
          {"SignatureVersion", "1.0"},      {"Timestamp", r.timestamp},       {"Version", "2019-02-28"}};
}

std::string canonical(const std::map<std::string, std::string>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += percent_encode(k) + "=" + percent_encode(v);
  }
  return out;
}

std::string sign(std::string_view cq, std::string_view secret) {
  const std::string sts = "GET&" + percent_encode("/") + "&" + percent_encode(cq);
  return protocol::base64_encode(hmac_sha1(std::string(secret) + "&", sts));
}

// Seconds since the epoch of "%Y-%m-%dT%H:%M:%SZ" (UTC).
std::optional<std::int64_t> parse_iso(const std::string& s) {
  std::tm tm{};
  if (s.size() != 20 || s[4] != '-' || s[10] != 'T' || s[19] != 'Z') return std::nullopt;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec) != 6)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm));
}

ojson header(const std::string& task_id, const std::string& message_id, std::string_view name,
             const std::string& appkey) {
  ojson h = ojson::object();
  h["message_id"] = message_id;
  h["task_id"] = task_id;
  h["namespace"] = "FlowingSpeechSynthesizer";
  h["name"] = std::string(name);
  h["appkey"] = appkey;
  return h;
}

}  // namespace

std::string percent_encode(std::string_view s) { return protocol::percent_encode(s); }

std::string canonical_query(const TokenRequest& r) { return canonical(params_of(r)); }

std::string string_to_sign(const TokenRequest& r) {
  return "GET&" + percent_encode("/") + "&" + percent_encode(canonical_query(r));
}

std::string signature(const TokenRequest& r) { return sign(canonical_query(r), r.access_key_secret); }

std::string token_url(std::string_view base_url, const TokenRequest& r) {
  return std::string(base_url) + "?Signature=" + percent_encode(signature(r)) + "&" + canonical_query(r);
}

TokenCheck check_token_request(const std::vector<std::pair<std::string, std::string>>& query, std::string_view secret) {
  TokenCheck c;
  std::map<std::string, std::string> params;
  std::string sig;
  for (const auto& [k, v] : query) {
    if (k == "Signature")
      sig = v;
    else
      params[k] = v;
  }
  if (sig.empty()) {
    c.why = "no Signature";
    return c;
  }
  for (const char* k : {"AccessKeyId", "Action", "SignatureMethod", "SignatureNonce", "Timestamp", "Version"}) {
    if (!params.count(k)) {
      c.why = std::string("no ") + k;
      return c;
    }
  }
  if (params["Action"] != "CreateToken" || params["SignatureMethod"] != "HMAC-SHA1") {
    c.why = "not a CreateToken request";
    return c;
  }
  if (!protocol::constant_time_equal(sign(canonical(params), secret), sig)) {
    c.why = "SignatureDoesNotMatch";
    return c;
  }
  c.ok = true;
  c.access_key_id = params["AccessKeyId"];
  return c;
}

Token parse_token_answer(std::string_view body) {
  auto j = protocol::parse_json_text(body);
  if (!j.is_object()) throw WireError("CreateToken: the answer is not JSON");
  auto t = j.find("Token");
  if (t == j.end() || !t->is_object()) {
    std::string why;
    for (const char* k : {"Message", "ErrMsg", "Code"}) {
      if (j.contains(k) && j[k].is_string() && !j[k].get<std::string>().empty()) {
        why = j[k].get<std::string>();
        break;
      }
    }
    throw WireError("CreateToken: no token" + (why.empty() ? std::string() : ": " + why.substr(0, 300)));
  }
  Token out;
  if (auto id = t->find("Id"); id != t->end() && id->is_string()) out.id = id->get<std::string>();
  if (out.id.empty()) throw WireError("CreateToken: the token has no Id");
  auto exp = t->find("ExpireTime");
  if (exp != t->end() && exp->is_number_integer()) {
    out.expire_time = exp->get<std::int64_t>();
  } else if (exp != t->end() && exp->is_string()) {
    auto v = parse_iso(exp->get<std::string>());
    if (!v) throw WireError("CreateToken: ExpireTime is not a time");
    out.expire_time = *v;
  } else {
    throw WireError("CreateToken: the token has no ExpireTime");
  }
  return out;
}

std::string start_synthesis(const std::string& task_id, const std::string& message_id, const SynthesisParams& p) {
  ojson payload = ojson::object();
  payload["voice"] = p.voice;
  payload["format"] = p.format;
  payload["sample_rate"] = p.sample_rate;
  payload["volume"] = p.volume;
  payload["speech_rate"] = p.speech_rate;
  payload["pitch_rate"] = p.pitch_rate;
  payload["enable_subtitle"] = true;
  ojson m = ojson::object();
  m["header"] = header(task_id, message_id, "StartSynthesis", p.appkey);
  m["payload"] = std::move(payload);
  return python_dumps(m);
}

std::string run_synthesis(const std::string& task_id, const std::string& message_id, const std::string& appkey,
                          std::string_view text) {
  ojson m = ojson::object();
  m["header"] = header(task_id, message_id, "RunSynthesis", appkey);
  m["payload"] = ojson{{"text", std::string(text)}};
  return python_dumps(m);
}

std::string stop_synthesis(const std::string& task_id, const std::string& message_id, const std::string& appkey) {
  ojson m = ojson::object();
  m["header"] = header(task_id, message_id, "StopSynthesis", appkey);
  return python_dumps(m);
}

Event parse_event(std::string_view text) {
  auto j = protocol::parse_json_text(text);
  if (!j.is_object()) throw WireError("not a JSON object");
  auto h = j.find("header");
  if (h == j.end() || !h->is_object()) throw WireError("no header");
  Event e;
  e.header = *h;
  if (auto n = h->find("name"); n != h->end() && n->is_string()) e.name = n->get<std::string>();
  if (e.name.empty()) throw WireError("the header has no name");
  if (auto t = h->find("task_id"); t != h->end() && t->is_string()) e.task_id = t->get<std::string>();
  if (auto s = h->find("status"); s != h->end() && s->is_number_integer()) e.status = s->get<long long>();
  if (auto s = h->find("status_text"); s != h->end() && s->is_string()) e.status_text = s->get<std::string>();
  if (auto p = j.find("payload"); p != j.end()) e.payload = *p;
  return e;
}

std::string make_event(std::string_view name, std::string_view task_id, const nlohmann::json& payload, long long status,
                       std::string_view status_text) {
  nlohmann::json h = {{"namespace", "FlowingSpeechSynthesizer"},
                      {"name", std::string(name)},
                      {"status", status},
                      {"message_id", protocol::hex_encode(protocol::random_bytes(16))},
                      {"task_id", std::string(task_id)},
                      {"status_text", std::string(status_text)}};
  nlohmann::json m = {{"header", std::move(h)}};
  if (!payload.is_null()) m["payload"] = payload;
  return m.dump();
}

}  // namespace xz::providers::aliyun
