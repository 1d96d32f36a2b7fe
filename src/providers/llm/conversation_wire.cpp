#include "providers/llm/conversation_wire.h"

#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/fnv1a.h"
#include "core/text.h"
#include "protocol/json_text.h"
#include "providers/llm/tool_call_text.h"

namespace xz::providers {

namespace {

// A 0 byte separates fields.
struct Digest {
  std::uint64_t h = core::kFnv1aOffset;
  void add(std::string_view s) { h = core::fnv1a(std::string_view("\0", 1), core::fnv1a(s, h)); }
};

std::string canonical_arguments(const std::string& args) {
  auto j = protocol::parse_json_text(args.empty() ? std::string("{}") : args);
  return j.is_discarded() ? std::string(core::trim(args, " \t\r\n")) : j.dump();
}

std::size_t skip_system(std::span<const ChatMessage> messages) {
  std::size_t i = 0;
  while (i < messages.size() && messages[i].role == "system") ++i;
  return i;
}

}  // namespace

std::uint64_t history_key(std::span<const ChatMessage> history) {
  Digest d;
  for (const auto& m : history) {
    if (m.role == "system") continue;
    d.add(m.role);
    if (m.role == "assistant") {
      // The same reply, whether the caller kept it as text with <tool_call> blocks or
      // as structured calls, gives the same digest.
      ToolCallTextParser parser;
      ChatDelta a = parser.feed(m.content);
      ChatDelta b = parser.finish();
      d.add(core::trim(a.text + b.text, " \t\r\n"));
      std::vector<std::pair<std::string, std::string>> calls;
      for (const auto& tc : a.tool_calls) calls.emplace_back(tc.name, tc.arguments);
      for (const auto& tc : b.tool_calls) calls.emplace_back(tc.name, tc.arguments);
      for (const auto& tc : m.tool_calls) calls.emplace_back(tc.name, tc.arguments);
      for (const auto& [name, args] : calls) {
        d.add(name);
        d.add(canonical_arguments(args));
      }
    } else {
      d.add(core::trim(m.content, " \t\r\n"));
    }
    d.add("\x1e");
  }
  return d.h;
}

std::optional<std::string> ConversationIds::find(std::span<const ChatMessage> history) const {
  auto key = history_key(history);
  std::lock_guard lk(mu_);
  auto it = ids_.find(key);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

void ConversationIds::remember(std::span<const ChatMessage> history, std::string id) {
  auto key = history_key(history);
  std::lock_guard lk(mu_);
  auto [it, inserted] = ids_.insert_or_assign(key, std::move(id));
  if (!inserted) return;
  order_.push_back(key);
  while (ids_.size() > capacity_ && !order_.empty()) {
    ids_.erase(order_.front());
    order_.pop_front();
  }
}

void ConversationIds::forget(std::span<const ChatMessage> history) {
  auto key = history_key(history);
  std::lock_guard lk(mu_);
  ids_.erase(key);  // its slot in order_ ages out harmlessly
}

std::size_t ConversationIds::size() const {
  std::lock_guard lk(mu_);
  return ids_.size();
}

ChatInput split_new_input(std::span<const ChatMessage> messages) {
  std::size_t first = skip_system(messages);
  std::size_t end = messages.size();
  std::size_t start = end;
  while (start > first && messages[start - 1].role == "tool") --start;
  if (start == end) {
    std::size_t u = end;
    while (u > first && messages[u - 1].role != "user") --u;
    if (u == first) throw std::runtime_error("the request has no user message");
    start = u - 1;
  }
  ChatInput in;
  in.history = messages.subspan(first, start - first);
  in.input = messages.subspan(start, end - start);
  // Rendered with the whole conversation, so tool results know their tool's name.
  std::vector<ChatMessage> all(messages.begin() + static_cast<std::ptrdiff_t>(first), messages.end());
  auto rendered = tool_calls_as_text(all);
  for (std::size_t i = start - first; i < rendered.size(); ++i) {
    if (rendered[i].role != "user") continue;
    if (!in.text.empty()) in.text += '\n';
    in.text += rendered[i].content;
  }
  return in;
}

std::string fold_history(std::span<const ChatMessage> history) {
  std::vector<ChatMessage> all(history.begin(), history.end());
  std::string out;
  for (const auto& m : tool_calls_as_text(all)) {
    if (m.role == "system") continue;
    out += m.role == "assistant" ? "Assistant: " : "User: ";
    out += m.content;
    out += '\n';
  }
  return out;
}

std::string fresh_conversation_query(std::span<const ChatMessage> messages, const ChatInput& in) {
  std::string query;
  for (const auto& m : messages) {
    if (m.role != "system") continue;
    if (auto tools = find_tool_call_prompt(m.content); !tools.empty()) query += std::string(tools) + "\n\n";
    break;
  }
  if (!in.history.empty()) query += "Conversation so far:\n" + fold_history(in.history) + "\n";
  query += in.text;
  return query;
}

}  // namespace xz::providers
