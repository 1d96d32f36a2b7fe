#pragma once
// intent_llm mode (reference §4.6): before the chat, one separate LLM call reads the
// recent dialogue and the user's words and answers pure JSON
//   {"function_call": {"name": "get_weather", "arguments": {"location": "Paris"}}}
// naming a function to run, or "continue_chat" when none fits (the chat then answers
// without tools). Cheaper than native tools for small chat models.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "providers/llm/llm.h"

namespace xz::pipeline {

// The classification system prompt for these functions.
std::string intent_prompt(const std::vector<providers::ToolSchema>& tools);

// The call the answer names, or nullopt for continue_chat / no usable JSON / a name
// that is not among `tools` (the chat then answers). The id is left empty.
std::optional<providers::ToolCall> parse_intent_answer(std::string_view answer,
                                                       const std::vector<providers::ToolSchema>& tools);

// Runs the classification (the last `context_messages` of `dialogue`, then the user's
// words). Throws what the engine throws; cancellable like any chat.
boost::asio::awaitable<std::optional<providers::ToolCall>> classify_intent(
    providers::LlmEngine& llm, std::vector<providers::ToolSchema> tools,
    std::span<const providers::ChatMessage> dialogue, std::string user_text, std::size_t context_messages = 4);

}  // namespace xz::pipeline
