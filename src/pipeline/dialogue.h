#pragma once
// One session's conversation history for the LLM: the system prompt plus turns,
// bounded by a character budget. The oldest whole turns go first (a turn = a user
// message and everything after it up to the next one, so tool calls and their results
// are never split); the system prompt is always kept. The reference keeps everything.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "providers/llm/llm.h"

namespace xz::pipeline {

// The user message the reference builds when its ASR hears an emotion (SenseVoice):
// {"content": "你好", "language": "zh", "emotion": "😶"} as json.dumps(ensure_ascii=False)
// writes it, the emotion as the reference's emoji and the language "zh" when unknown.
// The LLM then answers in the mood of the voice, as there.
std::string user_message_with_emotion(std::string_view text, std::string_view language, std::string_view emotion);

class Dialogue {
 public:
  explicit Dialogue(std::size_t max_chars = 8000) : max_chars_(max_chars) {}

  void set_system_prompt(std::string prompt) { system_ = std::move(prompt); }
  const std::string& system_prompt() const { return system_; }

  void add_user(std::string text);
  void add_assistant(std::string text);
  void add(providers::ChatMessage msg);

  // Answers every tool call that has no tool message yet with `content` (an
  // interrupted turn), so the next request is valid for the API.
  void close_dangling_tool_calls(const std::string& content);

  // System prompt + history, ready for a chat request.
  std::vector<providers::ChatMessage> messages() const;
  const std::vector<providers::ChatMessage>& history() const { return history_; }
  std::size_t history_chars() const { return chars_; }

 private:
  static std::size_t size_of(const providers::ChatMessage& m);
  void trim();

  std::size_t max_chars_;
  std::string system_;
  std::vector<providers::ChatMessage> history_;
  std::size_t chars_ = 0;
};

}  // namespace xz::pipeline
