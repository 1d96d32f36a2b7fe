#include "pipeline/dialogue.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "providers/asr/sense_voice_tags.h"

namespace xz::pipeline {

std::string user_message_with_emotion(std::string_view text, std::string_view language, std::string_view emotion) {
  auto quoted = [](std::string_view v) {
    return nlohmann::json(std::string(v)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  return fmt::format(R"({{"content": {}, "language": {}, "emotion": {}}})", quoted(text),
                     quoted(language.empty() ? std::string_view("zh") : language),
                     quoted(providers::sense_voice_emotion_emoji(emotion)));
}

std::size_t Dialogue::size_of(const providers::ChatMessage& m) {
  std::size_t n = m.content.size();
  for (const auto& c : m.tool_calls) n += c.name.size() + c.arguments.size();
  return n;
}

void Dialogue::add_user(std::string text) { add({"user", std::move(text), {}, {}}); }
void Dialogue::add_assistant(std::string text) { add({"assistant", std::move(text), {}, {}}); }

void Dialogue::add(providers::ChatMessage msg) {
  chars_ += size_of(msg);
  history_.push_back(std::move(msg));
  trim();
}

void Dialogue::trim() {
  while (chars_ > max_chars_ && history_.size() > 1) {
    // Drop the oldest turn: the first message and everything up to the next user message.
    std::size_t end = 1;
    while (end < history_.size() && history_[end].role != "user") ++end;
    if (end == history_.size()) break;  // only the current turn is left: keep it
    for (std::size_t i = 0; i < end; ++i) chars_ -= size_of(history_[i]);
    history_.erase(history_.begin(), history_.begin() + static_cast<std::ptrdiff_t>(end));
  }
}

void Dialogue::close_dangling_tool_calls(const std::string& content) {
  std::vector<std::string> open;
  for (const auto& m : history_) {
    for (const auto& c : m.tool_calls) open.push_back(c.id);
    if (m.role == "tool") std::erase(open, m.tool_call_id);
  }
  for (auto& id : open) add({"tool", content, {}, std::move(id)});
}

std::vector<providers::ChatMessage> Dialogue::messages() const {
  std::vector<providers::ChatMessage> out;
  out.reserve(history_.size() + 1);
  if (!system_.empty()) out.push_back({"system", system_, {}, {}});
  out.insert(out.end(), history_.begin(), history_.end());
  return out;
}

}  // namespace xz::pipeline
