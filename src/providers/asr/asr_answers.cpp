#include "providers/asr/asr_answers.h"

#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "protocol/json_text.h"
#include "providers/llm/llm_config_wire.h"

namespace xz::providers::asr_answers {

using json = nlohmann::json;
using llm_config::shorten;

namespace {

json object_of(std::string_view body, std::string_view what) {
  json j = protocol::parse_json_text(body);
  if (!j.is_object()) throw AnswerError(fmt::format("{} is not a JSON object: {}", what, shorten(body, 200)));
  return j;
}

const json* member(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string text_of(const json* v) { return v && v->is_string() ? v->get<std::string>() : std::string(); }

std::string scalar_text(const json* v) {
  if (!v || v->is_null()) return {};
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number() || v->is_boolean()) return v->dump();
  return shorten(v->dump(), 200);
}

}  // namespace

std::string error_message(std::string_view body) {
  const json j = protocol::parse_json_text(body);
  if (j.is_object()) {
    if (const json* e = member(j, "error")) {
      if (e->is_string()) return e->get<std::string>();
      if (const json* m = member(*e, "message"); m && m->is_string()) {
        const std::string code = scalar_text(member(*e, "code"));
        return code.empty() ? m->get<std::string>() : fmt::format("{}: {}", code, m->get<std::string>());
      }
    }
    if (const json* m = member(j, "message"); m && m->is_string()) {
      const std::string code = scalar_text(member(j, "code"));
      return code.empty() ? m->get<std::string>() : fmt::format("{}: {}", code, m->get<std::string>());
    }
  }
  return body.empty() ? "(empty body)" : shorten(body);
}

AsrResult qwen3_answer(std::string_view body) {
  const json j = object_of(body, "the answer");
  const json* choices = member(j, "choices");
  if (!choices || !choices->is_array() || choices->empty()) {
    if (member(j, "error") || member(j, "message")) throw AnswerError(error_message(body));
    throw AnswerError("the answer has no choices: " + shorten(body, 200));
  }
  const json* message = member((*choices)[0], "message");
  const json* content = message ? member(*message, "content") : nullptr;
  AsrResult r;
  if (content && content->is_string()) {
    r.text = content->get<std::string>();
  } else if (content && content->is_array()) {
    for (const auto& part : *content) r.text += text_of(member(part, "text"));
  } else {
    throw AnswerError("the answer has no message content: " + shorten(body, 200));
  }
  if (const json* notes = message ? member(*message, "annotations") : nullptr; notes && notes->is_array()) {
    for (const auto& n : *notes) {
      if (text_of(member(n, "type")) != "audio_info") continue;
      r.language = text_of(member(n, "language"));
      r.emotion = text_of(member(n, "emotion"));
      for (auto& c : r.emotion) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  // The reference strips the transcript.
  const auto first = r.text.find_first_not_of(" \t\r\n");
  const auto last = r.text.find_last_not_of(" \t\r\n");
  r.text = first == std::string::npos ? std::string() : r.text.substr(first, last - first + 1);
  return r;
}

FunAsrMessage funasr_message(std::string_view text) {
  const json j = object_of(text, "the server's message");
  FunAsrMessage m;
  m.text = text_of(member(j, "text"));
  m.mode = text_of(member(j, "mode"));
  if (const json* f = member(j, "is_final"); f && f->is_boolean()) m.is_final = f->get<bool>();
  return m;
}

std::string tencent_answer(std::string_view body) {
  const json j = object_of(body, "the answer");
  const json* resp = member(j, "Response");
  if (!resp || !resp->is_object()) throw AnswerError("the answer has no Response: " + shorten(body, 200));
  if (const json* err = member(*resp, "Error")) {
    throw AnswerError(fmt::format("{}: {}", scalar_text(member(*err, "Code")), scalar_text(member(*err, "Message"))));
  }
  const json* result = member(*resp, "Result");
  if (!result || !result->is_string()) throw AnswerError("the answer has no Result: " + shorten(body, 200));
  return result->get<std::string>();
}

std::string tencent_error(std::string_view body) {
  const json j = protocol::parse_json_text(body);
  if (const json* resp = member(j, "Response"); resp && member(*resp, "Error")) {
    try {
      (void)tencent_answer(body);
    } catch (const AnswerError& e) {
      return e.what();
    }
  }
  return error_message(body);
}

BaiduToken baidu_token_answer(std::string_view body) {
  const json j = object_of(body, "the token answer");
  if (const json* e = member(j, "error"); e && !e->is_null()) {
    throw AnswerError(fmt::format("{}: {}", scalar_text(e), scalar_text(member(j, "error_description"))));
  }
  BaiduToken t;
  t.access_token = text_of(member(j, "access_token"));
  if (t.access_token.empty()) throw AnswerError("the token answer has no access_token: " + shorten(body, 200));
  if (const json* e = member(j, "expires_in"); e && e->is_number_integer()) t.expires_in = e->get<std::int64_t>();
  return t;
}

BaiduResult baidu_answer(std::string_view body) {
  const json j = object_of(body, "the answer");
  const json* no = member(j, "err_no");
  if (!no || !no->is_number_integer()) throw AnswerError("the answer has no err_no: " + shorten(body, 200));
  BaiduResult r;
  r.err_no = no->get<long long>();
  r.err_msg = scalar_text(member(j, "err_msg"));
  if (r.err_no != 0) return r;
  const json* result = member(j, "result");
  if (!result || !result->is_array()) throw AnswerError("the answer has no result: " + shorten(body, 200));
  if (!result->empty()) r.text = text_of(&(*result)[0]);
  return r;
}

std::string aliyun_answer(std::string_view body) {
  const json j = object_of(body, "the answer");
  const json* status = member(j, "status");
  if (!status || !status->is_number_integer()) throw AnswerError("the answer has no status: " + shorten(body, 200));
  if (status->get<long long>() != 20000000) {
    throw AnswerError(fmt::format("{}: {}", status->get<long long>(), scalar_text(member(j, "message"))));
  }
  return text_of(member(j, "result"));
}

}  // namespace xz::providers::asr_answers
