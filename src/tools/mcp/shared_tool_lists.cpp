#include "tools/mcp/shared_tool_lists.h"

#include <algorithm>

#include "tools/mcp/device_tool.h"

namespace xz::tools::mcp {

namespace {

// Equal keys exactly when the lists are equal: every field is length-prefixed, so no
// device can craft a list whose key equals another device's different list.
void append_field(std::string& key, std::string_view field) {
  key += std::to_string(field.size());
  key += ':';
  key += field;
}

std::string content_key(const std::vector<protocol::McpTool>& tools) {
  std::string key;
  for (const auto& t : tools) {
    append_field(key, t.name);
    append_field(key, t.description);
    append_field(key, t.input_schema.dump());
    key += t.user_only ? 'u' : 'a';
  }
  return key;
}

}  // namespace

std::shared_ptr<const SharedToolList> make_tool_list(std::vector<protocol::McpTool> tools) {
  auto list = std::make_shared<SharedToolList>();
  for (const auto& t : tools)
    if (!t.user_only)
      list->for_llm.push_back(std::make_shared<DeviceTool>(providers::ToolSchema{t.name, t.description, t.input_schema}));
  list->all = std::move(tools);
  return list;
}

std::shared_ptr<const SharedToolList> SharedToolLists::share(std::vector<protocol::McpTool> tools) {
  std::string key = content_key(tools);
  std::lock_guard lock(mutex_);
  auto& slot = lists_[std::move(key)];
  if (auto live = slot.lock()) return live;
  auto made = make_tool_list(std::move(tools));
  slot = made;
  if (lists_.size() >= sweep_at_) {
    std::erase_if(lists_, [](const auto& entry) { return entry.second.expired(); });
    sweep_at_ = std::max<std::size_t>(64, lists_.size() * 2);
  }
  return made;
}

std::size_t SharedToolLists::live_lists() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(lists_.begin(), lists_.end(), [](const auto& entry) { return !entry.second.expired(); }));
}

std::size_t SharedToolLists::index_size() const {
  std::lock_guard lock(mutex_);
  return lists_.size();
}

}  // namespace xz::tools::mcp
