#include "memory/memory_prompt.h"

#include <fmt/format.h>

#include "providers/llm/think_filter.h"

namespace xz::memory {

namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

std::string_view trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// One line per message: inner newlines become spaces, long parts are shortened.
std::string one_line(std::string_view text, std::size_t max_chars) {
  std::string out;
  out.reserve(text.size());
  for (char c : trim(text)) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  if (utf8_length(out) > max_chars) out = std::string(utf8_prefix(out, max_chars)) + "...";
  return out;
}

constexpr const char* kSystemPrompt =
    "You keep the long-term memory of a voice assistant about the person who uses one device. "
    "You receive the current memory (possibly empty) and a new conversation. Write the updated memory.\n"
    "Rules:\n"
    "- Merge: keep what is still true from the current memory, add what is new, and when the new "
    "conversation contradicts the memory, keep the new information.\n"
    "- Keep facts about the user: name, family, preferences, habits, important dates, plans, promises "
    "made to the user, and what was talked about recently (with the date when it is known).\n"
    "- Leave out small talk, greetings and general knowledge the assistant explained.\n"
    "- Write short plain notes, one per line, without a preamble, headings or markdown.\n"
    "- Write in the language the user speaks in the conversation.\n"
    "- Stay under {max_chars} characters; when space runs out, drop the least important, oldest notes.\n"
    "- Answer with the memory only.";

}  // namespace

std::string memory_prompt_block(std::string_view memory) {
  auto m = trim(memory);
  if (m.empty()) return {};
  return "\n\n<memory>\n" + std::string(m) + "\n</memory>";
}

bool has_user_message(const std::vector<providers::ChatMessage>& dialogue) {
  for (const auto& m : dialogue)
    if (m.role == "user" && !trim(m.content).empty()) return true;
  return false;
}

std::string dialogue_transcript(const std::vector<providers::ChatMessage>& dialogue, std::size_t max_chars) {
  std::vector<std::string> lines;
  for (const auto& m : dialogue) {
    if (m.role == "user") {
      if (!trim(m.content).empty()) lines.push_back("User: " + one_line(m.content, 2000));
    } else if (m.role == "assistant") {
      if (!trim(m.content).empty()) lines.push_back("Assistant: " + one_line(m.content, 2000));
      for (const auto& c : m.tool_calls)
        lines.push_back("Assistant used tool " + c.name + "(" + one_line(c.arguments, 200) + ")");
    } else if (m.role == "tool") {
      if (!trim(m.content).empty()) lines.push_back("Tool result: " + one_line(m.content, 300));
    }
  }
  // Newest lines matter most: drop from the front until it fits.
  std::size_t total = 0, first = lines.size();
  while (first > 0) {
    std::size_t n = utf8_length(lines[first - 1]) + 1;
    if (total + n > max_chars && first != lines.size()) break;
    total += n;
    --first;
  }
  std::string out;
  if (first > 0) out = "(" + std::to_string(first) + " earlier line(s) left out)\n";
  for (std::size_t i = first; i < lines.size(); ++i) {
    out += lines[i];
    out += '\n';
  }
  // A single newest line longer than the budget is cut.
  if (utf8_length(out) > max_chars + 64) out = std::string(utf8_prefix(out, max_chars)) + "...\n";
  return out;
}

providers::ChatRequest summary_request(std::string_view previous_memory,
                                       const std::vector<providers::ChatMessage>& dialogue,
                                       const SummaryPromptOptions& opts) {
  providers::ChatRequest req;
  req.temperature = opts.temperature;
  req.max_tokens = opts.max_tokens;
  req.messages.push_back({"system", fmt::format(kSystemPrompt, fmt::arg("max_chars", opts.max_chars)), {}, {}});
  std::string user;
  if (!opts.today.empty()) user += "Today: " + opts.today + "\n\n";
  auto prev = trim(previous_memory);
  user += "Current memory:\n";
  user += prev.empty() ? std::string("(empty)") : std::string(prev);
  user += "\n\nNew conversation:\n";
  user += dialogue_transcript(dialogue, opts.max_transcript_chars);
  user += "\nWrite the updated memory now.";
  req.messages.push_back({"user", std::move(user), {}, {}});
  return req;
}

std::string clean_summary(std::string_view answer, std::size_t max_chars) {
  providers::ThinkFilter filter;
  std::string text = filter.feed(answer);
  text += filter.finish();
  std::string_view s = trim(text);
  // Some models wrap the answer in a code fence or echo the tag we put it in.
  if (s.starts_with("```")) {
    auto nl = s.find('\n');
    s = nl == std::string_view::npos ? std::string_view() : s.substr(nl + 1);
    if (auto end = s.rfind("```"); end != std::string_view::npos) s = s.substr(0, end);
    s = trim(s);
  }
  if (s.starts_with("<memory>") && s.ends_with("</memory>")) s = trim(s.substr(8, s.size() - 8 - 9));
  if (utf8_length(s) <= max_chars) return std::string(s);
  auto cut = utf8_prefix(s, max_chars);
  // Prefer ending at a whole note when one ends in the last fifth.
  auto nl = cut.rfind('\n');
  if (nl != std::string_view::npos && utf8_length(cut.substr(0, nl)) * 5 >= max_chars * 4) cut = cut.substr(0, nl);
  return std::string(trim(cut));
}

std::size_t utf8_length(std::string_view text) {
  std::size_t n = 0;
  for (char c : text)
    if (!is_continuation(static_cast<unsigned char>(c))) ++n;
  return n;
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_chars) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_continuation(static_cast<unsigned char>(text[i]))) continue;
    if (count == max_chars) return text.substr(0, i);
    ++count;
  }
  return text;
}

}  // namespace xz::memory
