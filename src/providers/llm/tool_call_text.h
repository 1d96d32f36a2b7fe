#pragma once
// The reference's text protocol for function calling with engines that have no native
// tools (llama.cpp, Dify, Home Assistant, ...): the system prompt lists the tools and asks
// the model to answer
//
//   <tool_call>
//   {"name": "get_weather", "arguments": {"city": "Paris"}}
//   </tool_call>
//
// and a streaming parser turns such blocks back into tool-call deltas while normal text
// passes through. Pure functions over strings and values.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "providers/llm/llm.h"

namespace xz::providers {

// A fresh id for a tool call whose API gives none ("call_" + 16 hex digits).
std::string make_tool_call_id();

// The system-prompt addition for these tools ("" when there are none). It starts with
// kToolPromptBegin and ends with kToolPromptEnd.
std::string tool_call_prompt(const std::vector<ToolSchema>& tools);
inline constexpr std::string_view kToolPromptBegin = "# TOOL USE";
inline constexpr std::string_view kToolPromptEnd = "# END OF TOOL USE";

// The tool_call_prompt() part of a system prompt, or "" (for engines that cannot take a
// system prompt and must pass the tool instructions another way).
std::string_view find_tool_call_prompt(std::string_view system_prompt);

// One block's content as a call: {"name": ..., "arguments": {...}} ("parameters" is
// accepted for "arguments", a JSON string of an object too; code fences and text
// around the object are ignored). The id is left empty. nullopt when it is no call.
std::optional<ToolCall> parse_tool_call_json(std::string_view block);

// A history for an engine without native tools: an assistant message's tool calls become
// <tool_call> blocks in its text, and each tool result becomes a user message
// "Tool result (name): ..." (roles such engines' templates all know).
std::vector<ChatMessage> tool_calls_as_text(const std::vector<ChatMessage>& messages);

// Streams an answer: text outside <tool_call> blocks passes through (a tail that may be
// the start of a tag is held back until the next piece shows what it is), complete
// blocks become ToolCallDelta{index, generated id, name, arguments}. The closing tag may
// also be written "<tool_call>" (the reference prompt's example has that typo, and models
// copy it). A block that is not a valid call is passed on as the text it was.
class ToolCallTextParser {
 public:
  // A block larger than this is not a call: it is released as text.
  explicit ToolCallTextParser(std::size_t max_block_bytes = 64 * 1024);

  ChatDelta feed(std::string_view text);
  // End of the answer: releases held text; an unclosed block is parsed as a call when
  // it holds one (models often stop without the closing tag), else released as text.
  ChatDelta finish();

  bool inside_block() const { return inside_; }
  int calls() const { return next_index_; }

 private:
  void scan(ChatDelta& out);
  bool close_block(std::size_t content_end, std::size_t tag_len, ChatDelta& out);
  void emit_text(std::string_view text, ChatDelta& out);
  void emit_call(ToolCall call, ChatDelta& out);

  std::size_t max_block_bytes_;
  std::string buf_;  // unreleased text, or the open block's content
  bool inside_ = false;
  bool skip_space_ = false;  // drop the blank lines models put between blocks
  int next_index_ = 0;
  std::string id_prefix_;
};

}  // namespace xz::providers
