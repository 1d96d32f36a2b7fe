#pragma once
// Remote conversation ids (Dify, Home Assistant) for engines that are shared by every
// session and get no session id: a conversation is found again by the exact chat
// history that led to it. After an answer the engine remembers
// history + answer -> id; the session's next request carries that history followed by
// its new input, so the lookup finds the id. Any mismatch (a trimmed or edited history,
// another process) is a miss: the engine then starts a new remote conversation and
// sends the history along, so an answer never continues the wrong conversation.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "providers/llm/llm.h"

namespace xz::providers {

// A digest of a history: system messages are ignored, text is compared without
// surrounding blanks, and tool calls by name and arguments (as a structured call or
// as the <tool_call> text the model wrote), never by id.
std::uint64_t history_key(std::span<const ChatMessage> history);

class ConversationIds {
 public:
  explicit ConversationIds(std::size_t capacity = 1024) : capacity_(capacity) {}

  std::optional<std::string> find(std::span<const ChatMessage> history) const;
  // The oldest entries are dropped beyond the capacity. Thread-safe.
  void remember(std::span<const ChatMessage> history, std::string id);
  void forget(std::span<const ChatMessage> history);
  std::size_t size() const;

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, std::string> ids_;
  std::deque<std::uint64_t> order_;
};

// The new input of a request: the trailing tool results when it ends with them (answers
// to the previous reply's calls), else the last user message; `history` is everything
// before it. `text` renders the input for a text-only API.
struct ChatInput {
  std::span<const ChatMessage> history;
  std::span<const ChatMessage> input;
  std::string text;
};
// Ignores system messages at the front. Throws std::runtime_error when there is no input.
ChatInput split_new_input(std::span<const ChatMessage> messages);

// "User: ...\nAssistant: ..." lines of a history (system messages skipped), for APIs that
// take only one text.
std::string fold_history(std::span<const ChatMessage> history);

// The first query of a new remote conversation (Dify, FastGPT, Coze): the tool section
// of the system prompt when the text protocol put one there, the earlier turns folded,
// then the new input; so the answer has the whole context.
std::string fresh_conversation_query(std::span<const ChatMessage> messages, const ChatInput& in);

}  // namespace xz::providers
