#pragma once
// The text side of short-term memory, pure: the summarising request sent to the LLM,
// the cleanup of its answer, and the block the system prompt carries.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "providers/llm/llm.h"

namespace xz::memory {

// "" for an empty memory, else "\n\n<memory>\n" + memory + "\n</memory>".
std::string memory_prompt_block(std::string_view memory);

// Whether the dialogue holds something the user said (only then is it summarised).
bool has_user_message(const std::vector<providers::ChatMessage>& dialogue);

// The dialogue as plain lines ("User: ...", "Assistant: ...", tool calls and their
// results shortened), system messages left out. When longer than max_chars, the
// oldest lines are left out and the text says so.
std::string dialogue_transcript(const std::vector<providers::ChatMessage>& dialogue, std::size_t max_chars);

struct SummaryPromptOptions {
  std::size_t max_chars = 1500;             // of the memory (code points)
  std::size_t max_transcript_chars = 16000;  // of the dialogue sent along
  double temperature = 0.2;
  int max_tokens = 2000;
  std::string today;  // e.g. "2024-05-01 (Wednesday)"; "" = not mentioned
};

// A request whose answer is the device's updated memory: the previous memory merged
// with the new dialogue, in the user's language, at most max_chars long.
providers::ChatRequest summary_request(std::string_view previous_memory,
                                       const std::vector<providers::ChatMessage>& dialogue,
                                       const SummaryPromptOptions& opts);

// The model's answer as a memory: <think> blocks and surrounding blank space removed,
// a wrapping ``` fence or <memory> tag dropped, cut to max_chars code points (at a line
// end when one is near).
std::string clean_summary(std::string_view answer, std::size_t max_chars);

// Code points in UTF-8 text (stray continuation bytes are not counted).
std::size_t utf8_length(std::string_view text);
// The longest prefix with at most max_chars code points.
std::string_view utf8_prefix(std::string_view text, std::size_t max_chars);

}  // namespace xz::memory
