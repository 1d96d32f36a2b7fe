#include "providers/llm/tool_call_text.h"

#include <map>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "protocol/json_text.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

constexpr std::string_view kOpen = "<tool_call>";
constexpr std::string_view kClose = "</tool_call>";

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

bool blank(std::string_view s) {
  for (char c : s) {
    if (!is_space(c)) return false;
  }
  return true;
}

// Length of the longest tail of s that is a proper prefix of tag.
std::size_t partial_tag_tail(std::string_view s, std::string_view tag) {
  for (std::size_t n = std::min(s.size(), tag.size() - 1); n > 0; --n) {
    if (s.substr(s.size() - n) == tag.substr(0, n)) return n;
  }
  return 0;
}

std::mt19937_64& rng() {
  thread_local std::mt19937_64 r{std::random_device{}()};
  return r;
}

std::string random_id_prefix() { return fmt::format("call_{:08x}_", static_cast<std::uint32_t>(rng()())); }

// The arguments of a call as JSON object text.
std::optional<std::string> arguments_text(const json& call) {
  auto it = call.find("arguments");
  if (it == call.end()) it = call.find("parameters");
  if (it == call.end() || it->is_null()) return std::string("{}");
  if (it->is_object()) return it->dump();
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    if (blank(s)) return std::string("{}");
    auto parsed = protocol::parse_json_text(s);
    if (parsed.is_object()) return parsed.dump();
  }
  return std::nullopt;
}

}  // namespace

std::string make_tool_call_id() { return fmt::format("call_{:016x}", rng()()); }

std::string tool_call_prompt(const std::vector<ToolSchema>& tools) {
  if (tools.empty()) return {};
  std::string list;
  for (const auto& t : tools) {
    json schema = {{"type", "function"},
                   {"function", {{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}}}};
    list += schema.dump();
    list += '\n';
  }
  return fmt::format(
      "{}\n\n"
      "You can use the tools listed below. To use one, reply with only this block, with no other text:\n\n"
      "<tool_call>\n"
      "{{\"name\": \"<tool name>\", \"arguments\": {{\"<parameter>\": <value>}}}}\n"
      "</tool_call>\n\n"
      "Rules:\n"
      "1. Use one tool per reply. Give every required parameter.\n"
      "2. The tool's result comes back in the next message; then answer the user from it. Never invent a result.\n"
      "3. When no tool fits, answer the user normally, without any block.\n\n"
      "Tools:\n\n"
      "{}\n"
      "{}",
      kToolPromptBegin, list, kToolPromptEnd);
}

std::string_view find_tool_call_prompt(std::string_view system_prompt) {
  auto begin = system_prompt.find(kToolPromptBegin);
  if (begin == std::string_view::npos) return {};
  auto end = system_prompt.find(kToolPromptEnd, begin);
  if (end == std::string_view::npos) return {};
  return system_prompt.substr(begin, end + kToolPromptEnd.size() - begin);
}

std::optional<ToolCall> parse_tool_call_json(std::string_view block) {
  auto first = block.find('{');
  auto last = block.rfind('}');
  if (first == std::string_view::npos || last == std::string_view::npos || last < first) return std::nullopt;
  auto j = protocol::parse_json_text(block.substr(first, last - first + 1));
  if (!j.is_object()) return std::nullopt;
  // Models sometimes copy the tool list's {"type":"function","function":{...}} shape.
  if (!j.contains("name")) {
    if (auto fn = j.find("function"); fn != j.end() && fn->is_object()) j = *fn;
  }
  auto name = j.find("name");
  if (name == j.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) return std::nullopt;
  auto args = arguments_text(j);
  if (!args) return std::nullopt;
  ToolCall call;
  call.name = name->get<std::string>();
  call.arguments = std::move(*args);
  return call;
}

std::vector<ChatMessage> tool_calls_as_text(const std::vector<ChatMessage>& messages) {
  std::map<std::string, std::string> names;  // tool call id -> tool name
  std::vector<ChatMessage> out;
  out.reserve(messages.size());
  for (const auto& m : messages) {
    if (m.role == "assistant" && !m.tool_calls.empty()) {
      ChatMessage a;
      a.role = "assistant";
      a.content = m.content;
      for (const auto& tc : m.tool_calls) {
        names[tc.id] = tc.name;
        // Name first, as the prompt shows it.
        auto args = protocol::parse_ordered_json_text(tc.arguments.empty() ? std::string_view("{}")
                                                                           : std::string_view(tc.arguments));
        nlohmann::ordered_json call = {{"name", tc.name},
                                       {"arguments", args.is_discarded() ? nlohmann::ordered_json(tc.arguments) : args}};
        if (!a.content.empty()) a.content += '\n';
        a.content += fmt::format("{}\n{}\n{}", kOpen, call.dump(), kClose);
      }
      out.push_back(std::move(a));
    } else if (m.role == "tool") {
      ChatMessage u;
      u.role = "user";
      auto it = names.find(m.tool_call_id);
      u.content = it != names.end() ? fmt::format("Tool result ({}): {}", it->second, m.content)
                                    : fmt::format("Tool result: {}", m.content);
      out.push_back(std::move(u));
    } else {
      ChatMessage c;
      c.role = m.role;
      c.content = m.content;
      out.push_back(std::move(c));
    }
  }
  return out;
}

ToolCallTextParser::ToolCallTextParser(std::size_t max_block_bytes)
    : max_block_bytes_(max_block_bytes), id_prefix_(random_id_prefix()) {}

ChatDelta ToolCallTextParser::feed(std::string_view text) {
  ChatDelta out;
  buf_.append(text);
  scan(out);
  return out;
}

ChatDelta ToolCallTextParser::finish() {
  ChatDelta out;
  if (inside_) {
    if (auto call = parse_tool_call_json(buf_)) {
      emit_call(std::move(*call), out);
    } else {
      emit_text(std::string(kOpen) + buf_, out);
    }
  } else {
    emit_text(buf_, out);
  }
  buf_.clear();
  inside_ = false;
  return out;
}

void ToolCallTextParser::scan(ChatDelta& out) {
  for (;;) {
    if (!inside_) {
      auto open = buf_.find(kOpen);
      if (open != std::string::npos) {
        emit_text(std::string_view(buf_).substr(0, open), out);
        buf_.erase(0, open + kOpen.size());
        inside_ = true;
        continue;
      }
      std::size_t keep = partial_tag_tail(buf_, kOpen);
      emit_text(std::string_view(buf_).substr(0, buf_.size() - keep), out);
      buf_.erase(0, buf_.size() - keep);
      return;
    }
    auto close = buf_.find(kClose);
    auto reopen = buf_.find(kOpen);
    if (reopen != std::string::npos && (close == std::string::npos || reopen < close)) {
      if (blank(std::string_view(buf_).substr(0, reopen))) {
        buf_.erase(0, reopen + kOpen.size());  // a repeated opening tag
        continue;
      }
      close_block(reopen, kOpen.size(), out);
      continue;
    }
    if (close != std::string::npos) {
      close_block(close, kClose.size(), out);
      continue;
    }
    if (buf_.size() > max_block_bytes_) {
      emit_text(std::string(kOpen) + buf_, out);
      buf_.clear();
      inside_ = false;
    }
    return;
  }
}

bool ToolCallTextParser::close_block(std::size_t content_end, std::size_t tag_len, ChatDelta& out) {
  std::string_view content = std::string_view(buf_).substr(0, content_end);
  auto call = parse_tool_call_json(content);
  if (call) {
    emit_call(std::move(*call), out);
  } else {
    emit_text(std::string(kOpen) + std::string(buf_.substr(0, content_end + tag_len)), out);
  }
  buf_.erase(0, content_end + tag_len);
  inside_ = false;
  return call.has_value();
}

void ToolCallTextParser::emit_text(std::string_view text, ChatDelta& out) {
  if (skip_space_) {
    std::size_t i = 0;
    while (i < text.size() && is_space(text[i])) ++i;
    text.remove_prefix(i);
    if (text.empty()) return;
    skip_space_ = false;
  }
  out.text.append(text);
}

void ToolCallTextParser::emit_call(ToolCall call, ChatDelta& out) {
  ToolCallDelta d;
  d.index = next_index_++;
  d.id = id_prefix_ + std::to_string(d.index);
  d.name = std::move(call.name);
  d.arguments = std::move(call.arguments);
  out.tool_calls.push_back(std::move(d));
  skip_space_ = true;
}

}  // namespace xz::providers
