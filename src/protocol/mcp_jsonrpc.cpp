#include "protocol/mcp_jsonrpc.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace xz::protocol {
namespace {

using Json = nlohmann::json;

Json request(int id, std::string_view method, Json params) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", std::string(method)}, {"params", std::move(params)}};
}

std::nullopt_t reject(std::string* error, std::string text) {
  if (error) *error = std::move(text);
  return std::nullopt;
}

std::optional<long long> integer_id(const Json& v) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      if (u > std::uint64_t(std::numeric_limits<long long>::max())) return std::nullopt;
      return static_cast<long long>(u);
    }
    return v.get<long long>();
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<long long>(d);
  }
  return std::nullopt;
}

}  // namespace

Json mcp_initialize(int id, std::string_view vision_url, std::string_view vision_token) {
  Json capabilities = {{"roots", {{"listChanged", true}}}, {"sampling", Json::object()}};
  if (!vision_url.empty()) {
    capabilities["vision"] = {{"url", std::string(vision_url)}, {"token", std::string(vision_token)}};
  }
  return request(id, "initialize",
                 {{"protocolVersion", std::string(kMcpProtocolVersion)},
                  {"capabilities", std::move(capabilities)},
                  {"clientInfo", {{"name", "xiaozhi-server"}, {"version", "1.0.0"}}}});
}

Json mcp_initialized_notification() {
  return Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}};
}

Json mcp_tools_list(int id, std::string_view cursor, bool with_user_tools) {
  Json params = {{"cursor", std::string(cursor)}};
  if (with_user_tools) params["withUserTools"] = true;
  return request(id, "tools/list", std::move(params));
}

Json mcp_tools_call(int id, std::string_view name, const Json& arguments) {
  if (!arguments.is_null() && !arguments.is_object()) {
    throw std::invalid_argument("tools/call: arguments must be a JSON object");
  }
  return request(id, "tools/call",
                 {{"name", std::string(name)}, {"arguments", arguments.is_null() ? Json::object() : arguments}});
}

std::optional<McpReply> parse_mcp_reply(const Json& payload, std::string* error) {
  if (!payload.is_object()) return reject(error, "mcp payload: expected an object");
  const auto version = payload.find("jsonrpc");
  if (version == payload.end() || *version != "2.0") {
    return reject(error, "mcp payload: jsonrpc must be \"2.0\"");
  }
  McpReply reply;
  if (const auto id = payload.find("id"); id != payload.end() && !id->is_null()) {
    reply.id = integer_id(*id);
    if (!reply.id) return reject(error, "mcp payload: id must be an integer");
  }
  if (const auto method = payload.find("method"); method != payload.end()) {
    if (!method->is_string() || method->get_ref<const std::string&>().empty()) {
      return reject(error, "mcp payload: method must be a non-empty string");
    }
    reply.method = method->get<std::string>();
    if (const auto params = payload.find("params"); params != payload.end() && !params->is_null()) {
      if (!params->is_object() && !params->is_array()) {
        return reject(error, "mcp payload: params must be an object or array");
      }
      reply.params = *params;
    }
    return reply;
  }
  const auto result = payload.find("result");
  const auto err = payload.find("error");
  const bool has_result = result != payload.end();
  const bool has_error = err != payload.end() && !err->is_null();
  if (has_result == has_error) {
    return reject(error, has_result ? "mcp payload: both result and error"
                                    : "mcp payload: neither result, error nor method");
  }
  if (!reply.id && has_result) return reject(error, "mcp payload: result without an id");
  if (has_result) {
    reply.result = *result;
    return reply;
  }
  reply.is_error = true;
  // The firmware sends {"message": ...} without "code".
  if (err->is_object()) {
    const auto msg = err->find("message");
    reply.error_message = msg != err->end() && msg->is_string()
                              ? msg->get<std::string>()
                              : err->dump(-1, ' ', false, Json::error_handler_t::replace);
  } else if (err->is_string()) {
    reply.error_message = err->get<std::string>();
  } else {
    reply.error_message = err->dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  return reply;
}

std::vector<McpTool> parse_tools_list(const Json& result, std::string* next_cursor) {
  std::vector<McpTool> tools;
  if (next_cursor) next_cursor->clear();
  if (!result.is_object()) return tools;
  if (next_cursor) {
    const auto cursor = result.find("nextCursor");
    if (cursor != result.end() && cursor->is_string()) *next_cursor = cursor->get<std::string>();
  }
  const auto list = result.find("tools");
  if (list == result.end() || !list->is_array()) return tools;
  for (const Json& t : *list) {
    if (!t.is_object()) continue;
    const auto name = t.find("name");
    if (name == t.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) continue;
    McpTool tool;
    tool.name = name->get<std::string>();
    if (const auto d = t.find("description"); d != t.end() && d->is_string()) tool.description = d->get<std::string>();
    if (const auto s = t.find("inputSchema"); s != t.end() && s->is_object()) {
      tool.input_schema = *s;
    } else {
      tool.input_schema = {{"type", "object"}, {"properties", Json::object()}};
    }
    if (const auto a = t.find("annotations"); a != t.end() && a->is_object()) {
      if (const auto aud = a->find("audience"); aud != a->end() && aud->is_array() && !aud->empty()) {
        tool.user_only = true;
        for (const Json& who : *aud) {
          if (who != "user") tool.user_only = false;
        }
      }
    }
    tools.push_back(std::move(tool));
  }
  return tools;
}

McpCallOutcome parse_tool_call_result(const McpReply& reply) {
  if (reply.is_error) {
    return {false, reply.error_message.empty() ? std::string("tool call failed") : reply.error_message};
  }
  const Json& r = reply.result;
  if (!r.is_object()) return {false, "tool result: expected an object"};
  std::string text;
  bool any_text = false;
  if (const auto content = r.find("content"); content != r.end() && content->is_array()) {
    for (const Json& item : *content) {
      if (!item.is_object()) continue;
      const auto t = item.find("text");
      if (t == item.end() || !t->is_string()) continue;
      if (any_text) text += '\n';
      text += t->get_ref<const std::string&>();
      any_text = true;
    }
  }
  const auto is_error = r.find("isError");
  if (is_error != r.end() && is_error->is_boolean() && is_error->get<bool>()) {
    // Blank text would reach the LLM as a bare "error: ".
    const bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
    return {false, blank ? std::string("tool reported an error") : text};
  }
  if (!any_text) return {false, "tool result: no text content"};
  return {true, std::move(text)};
}

}  // namespace xz::protocol
