#include "providers/tts/engine_error.h"

#include <stdexcept>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "protocol/json_text.h"
#include "providers/llm/llm_config_wire.h"

namespace xz::providers {

namespace {

using json = nlohmann::json;

std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return {};
}

// The first readable message under these keys, looking one level into objects.
std::string message_in(const json& j) {
  static constexpr const char* kKeys[] = {"message", "msg", "status_msg", "Message", "error_msg", "detail", "error"};
  for (const char* key : kKeys) {
    auto it = j.find(key);
    if (it == j.end()) continue;
    if (auto s = text_of(*it); !s.empty()) return s;
    if (it->is_object())
      if (auto s = message_in(*it); !s.empty()) return s;
    if (it->is_array() && !it->empty() && it->front().is_object())  // FastAPI: detail: [{msg: ...}]
      if (auto s = message_in(it->front()); !s.empty()) return s;
  }
  return {};
}

}  // namespace

std::string vendor_error_message(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return "(empty body)";
  const json j = protocol::parse_json_text(body);
  if (j.is_object()) {
    std::string msg;
    // Envelopes that nest the error: MiniMax base_resp, Tencent Response.Error.
    for (const char* outer : {"base_resp", "Response"}) {
      if (auto it = j.find(outer); it != j.end() && it->is_object()) {
        const json& inner = it->contains("Error") && (*it)["Error"].is_object() ? (*it)["Error"] : *it;
        msg = message_in(inner);
        if (auto code = inner.find("Code"); code != inner.end() && !msg.empty()) msg = text_of(*code) + ": " + msg;
        if (!msg.empty()) break;
      }
    }
    if (msg.empty()) msg = message_in(j);
    // GPT-SoVITS: {"message": "tts failed", "Exception": "<why>"}.
    if (auto ex = j.find("Exception"); ex != j.end() && !text_of(*ex).empty())
      msg = msg.empty() ? text_of(*ex) : msg + ": " + text_of(*ex);
    if (auto code = j.find("code"); code != j.end() && !msg.empty() && !text_of(*code).empty())
      msg = fmt::format("{} (code {})", msg, text_of(*code));
    if (!msg.empty()) return llm_config::shorten(msg);
  }
  return llm_config::shorten(body);
}

boost::asio::awaitable<void> with_engine_name(std::string engine, boost::asio::awaitable<void> op) {
  try {
    co_await std::move(op);
  } catch (const boost::system::system_error& e) {
    if (e.code() == boost::asio::error::operation_aborted) throw;
    throw std::runtime_error(llm_config::named_message(engine, e.what()));
  } catch (const std::exception& e) {
    throw std::runtime_error(llm_config::named_message(engine, e.what()));
  }
}

}  // namespace xz::providers
