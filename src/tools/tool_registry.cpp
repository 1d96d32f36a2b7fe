#include "tools/tool_registry.h"

#include <cctype>

namespace xz::tools {

std::string sanitize_tool_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (unsigned char c : name) out.push_back(std::isalnum(c) || c == '_' || c == '-' ? static_cast<char>(c) : '_');
  if (out.empty()) out = "tool";
  if (out.size() > 64) out.resize(64);
  return out;
}

std::string_view source_name(ToolSource source) {
  switch (source) {
    case ToolSource::builtin: return "builtin";
    case ToolSource::server_mcp: return "server_mcp";
    case ToolSource::mcp_endpoint: return "mcp_endpoint";
    case ToolSource::iot: return "iot";
    case ToolSource::device_mcp: return "device_mcp";
  }
  return "?";
}

void ToolRegistry::set_source(ToolSource source, ToolList tools) {
  sources_[static_cast<std::size_t>(source)] = std::move(tools);
  stale_ = true;
}

const ToolRegistry::Index& ToolRegistry::index() const {
  if (!stale_) return by_name_;
  stale_ = false;
  by_name_.clear();
  std::map<std::string, ToolSource> origin;
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    if (!sources_[i]) continue;
    const auto source = static_cast<ToolSource>(i);
    for (const auto& tool : *sources_[i]) {
      std::string name = sanitize_tool_name(tool->schema().name);
      if (auto it = origin.find(name); it != origin.end() && it->second != source)
        log_.warn("tool '{}' from {} replaces the one from {}", name, source_name(source), source_name(it->second));
      origin[name] = source;
      by_name_[name] = tool;
    }
  }
  return by_name_;
}

// Built on demand, not kept: a session's schemas are needed only while it asks the LLM,
// and most sessions sit idle.
std::vector<providers::ToolSchema> ToolRegistry::schemas() const {
  const Index& tools = index();
  std::vector<providers::ToolSchema> out;
  out.reserve(tools.size());
  for (const auto& [name, tool] : tools) {
    providers::ToolSchema s = tool->schema();
    // Descriptions may name other tools by their original names; show the LLM the
    // names it can call.
    for (const auto& [other, t] : tools) {
      const std::string& orig = t->schema().name;
      if (orig == other) continue;
      for (std::size_t p = s.description.find(orig); p != std::string::npos; p = s.description.find(orig, p + other.size()))
        s.description.replace(p, orig.size(), other);
    }
    s.name = name;
    out.push_back(std::move(s));
  }
  return out;
}

ToolPtr ToolRegistry::find(std::string_view llm_name) const {
  const Index& tools = index();
  auto it = tools.find(llm_name);
  if (it != tools.end()) return it->second;
  // Some models echo the original dotted name.
  it = tools.find(sanitize_tool_name(llm_name));
  return it == tools.end() ? nullptr : it->second;
}

}  // namespace xz::tools
