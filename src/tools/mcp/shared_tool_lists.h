#pragma once
// Devices running the same firmware list the same MCP tools. Their sessions share one
// immutable copy of the list, and the tool objects the LLM calls, instead of each
// keeping its own: thousands of idle devices would otherwise each hold kilobytes of
// identical JSON. Thread-safe (sessions live on every event loop); a list lives as long as a
// session holds it.
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/mcp_jsonrpc.h"
#include "providers/llm/llm.h"
#include "tools/tool.h"

namespace xz::tools::mcp {

struct SharedToolList {
  std::vector<protocol::McpTool> all;  // as listed, user-only tools included
  // The AI-visible ones, in list order, as DeviceTools: a call runs on the calling
  // session's device.
  std::vector<ToolPtr> for_llm;
};

// A list of one's own (no sharing).
std::shared_ptr<const SharedToolList> make_tool_list(std::vector<protocol::McpTool> tools);

class SharedToolLists {
 public:
  // The shared copy of a list equal to `tools` (made from it when there is none).
  std::shared_ptr<const SharedToolList> share(std::vector<protocol::McpTool> tools);
  // Distinct lists currently held by some session.
  std::size_t live_lists() const;
  // Entries in the index, expired ones included until the next sweep.
  std::size_t index_size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<const SharedToolList>> lists_;  // by content
  std::size_t sweep_at_ = 64;  // drop expired entries when the map reaches this size
};

}  // namespace xz::tools::mcp
