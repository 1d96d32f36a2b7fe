#include "providers/asr/xunfei_iat_wire.h"

#include <nlohmann/json.hpp>

#include "protocol/encoding.h"
#include "protocol/json_text.h"

namespace xz::providers::xunfei_iat {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

const json* at(const json& j, const char* k) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(k);
  return it == j.end() ? nullptr : &*it;
}

std::string str(const json* j) { return j && j->is_string() ? j->get<std::string>() : std::string(); }

std::optional<long long> integer(const json* j) {
  if (!j || !j->is_number_integer()) return std::nullopt;
  return j->get<long long>();
}

}  // namespace

std::string client_frame(int status, std::string_view pcm, const Params& p) {
  ojson iat = {{"domain", p.domain}, {"language", p.language}, {"accent", p.accent}};
  if (p.eos_ms) iat["eos"] = *p.eos_ms;
  iat["result"] = {{"encoding", "utf8"}, {"compress", "raw"}, {"format", "plain"}};
  ojson j = {{"header", {{"status", status}, {"app_id", p.app_id}}},
             {"parameter", {{"iat", std::move(iat)}}},
             {"payload", {{"audio", {{"audio", protocol::base64_encode(pcm)}, {"sample_rate", 16000}, {"encoding", "raw"}}}}}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

ClientFrame parse_client_frame(std::string_view text) {
  const json j = protocol::parse_json_text(text);
  if (!j.is_object()) throw WireError("not a JSON object");
  ClientFrame f;
  const json* header = at(j, "header");
  if (!header || !header->is_object()) throw WireError("no header");
  f.status = static_cast<int>(integer(at(*header, "status")).value_or(-1));
  f.app_id = str(at(*header, "app_id"));
  if (const json* param = at(j, "parameter"); param && param->is_object()) {
    f.has_parameter = true;
    const json* iat = at(*param, "iat");
    f.domain = str(iat ? at(*iat, "domain") : nullptr);
    f.language = str(iat ? at(*iat, "language") : nullptr);
  }
  const json* payload = at(j, "payload");
  const json* audio = payload ? at(*payload, "audio") : nullptr;
  if (!audio || !audio->is_object()) throw WireError("no payload.audio");
  auto pcm = protocol::base64_decode(str(at(*audio, "audio")));
  if (!pcm) throw WireError("payload.audio.audio is not base64");
  f.audio = std::move(*pcm);
  f.sample_rate = static_cast<int>(integer(at(*audio, "sample_rate")).value_or(0));
  return f;
}

ServerFrame parse_server_frame(std::string_view text) {
  const json j = protocol::parse_json_text(text);
  if (!j.is_object()) throw WireError("not a JSON object");
  const json* header = at(j, "header");
  if (!header || !header->is_object()) throw WireError("no header");
  ServerFrame f;
  f.code = integer(at(*header, "code")).value_or(0);
  f.message = str(at(*header, "message"));
  f.sid = str(at(*header, "sid"));
  f.status = static_cast<int>(integer(at(*header, "status")).value_or(0));
  f.last = f.status == 2;
  const json* payload = at(j, "payload");
  const json* result = payload ? at(*payload, "result") : nullptr;
  if (!result || !result->is_object()) return f;
  if (integer(at(*result, "status")).value_or(0) == 2) f.last = true;
  const std::string encoded = str(at(*result, "text"));
  if (encoded.empty()) return f;
  auto decoded = protocol::base64_decode(encoded);
  if (!decoded) throw WireError("payload.result.text is not base64");
  const json r = protocol::parse_json_text(*decoded);
  if (!r.is_object()) throw WireError("payload.result.text is not a JSON object");
  if (const json* ls = at(r, "ls"); ls && ls->is_boolean() && ls->get<bool>()) f.last = true;
  if (const json* ws = at(r, "ws"); ws && ws->is_array()) {
    for (const auto& w : *ws) {
      const json* cw = at(w, "cw");
      if (!cw || !cw->is_array()) continue;
      for (const auto& c : *cw) f.text += str(at(c, "w"));  // as the reference joins them
    }
  }
  return f;
}

std::string server_frame(long long code, std::string_view message, std::string_view sid, int status, int sn,
                         std::string_view words, bool last) {
  ojson result = {{"sn", sn}, {"ls", last}, {"bg", 0}, {"ed", 0}, {"pgs", "apd"}, {"rg", {sn, sn}},
                  {"ws", ojson::array({{{"bg", 0}, {"cw", ojson::array({{{"sc", 0}, {"w", words}}})}}})}};
  ojson j = {{"header", {{"code", code}, {"message", message}, {"sid", sid}, {"status", status}}}};
  if (code == 0)
    j["payload"] = {{"result",
                     {{"compress", "raw"}, {"encoding", "utf8"}, {"format", "json"}, {"seq", sn}, {"status", status},
                      {"text", protocol::base64_encode(result.dump(-1, ' ', false, json::error_handler_t::replace))}}}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace xz::providers::xunfei_iat
