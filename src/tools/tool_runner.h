#pragma once
// Runs the tool calls of one LLM round: all at once, each with a deadline. A call that
// fails, throws or times out becomes an error result, so every call id gets an answer
// and the dialogue stays valid for the next request.
#include <chrono>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "providers/llm/llm.h"
#include "tools/tool.h"
#include "tools/tool_registry.h"

namespace xz::tools {

struct ToolOutcome {
  providers::ToolCall call;
  ToolResult result;
  std::chrono::milliseconds took{0};
};

// The friendly words spoken when a tool fails (the reference's wording, in English).
inline constexpr const char* kToolFailedResponse = "Sorry, that did not work. Please try again later.";

boost::asio::awaitable<std::vector<ToolOutcome>> run_tool_calls(std::vector<providers::ToolCall> calls,
                                                                const ToolRegistry& registry,
                                                                SessionActions& session,
                                                                std::chrono::milliseconds timeout);

}  // namespace xz::tools
