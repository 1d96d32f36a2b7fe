#pragma once
// One session's tools, merged from their sources. Names are sanitised to what function
// calling accepts ([A-Za-z0-9_-], at most 64 characters) and mapped back on call. On a
// name clash the source registered later wins (device tools over server tools over
// built-ins), and the clash is logged.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.h"
#include "tools/tool.h"

namespace xz::tools {

// Where tools come from. On a name clash the later source wins: the device's own tools
// over the IoT ones, the endpoint's, the server's and the built-ins.
enum class ToolSource : std::uint8_t { builtin, server_mcp, mcp_endpoint, iot, device_mcp };
inline constexpr std::size_t kToolSourceCount = 5;
std::string_view source_name(ToolSource source);

// "self.audio_speaker.set_volume" -> "self_audio_speaker_set_volume".
std::string sanitize_tool_name(std::string_view name);

class ToolRegistry {
 public:
  explicit ToolRegistry(const core::SessionLog& log) : log_(log) {}

  // Replaces every tool of `source`; null clears it.
  void set_source(ToolSource source, ToolList tools);
  void clear_source(ToolSource source) { set_source(source, nullptr); }

  // Schemas for the LLM, with sanitised names.
  std::vector<providers::ToolSchema> schemas() const;
  // The tool behind a name the LLM used; nullptr when unknown.
  ToolPtr find(std::string_view llm_name) const;
  std::size_t size() const { return index().size(); }
  bool empty() const { return index().empty(); }

 private:
  using Index = std::map<std::string, ToolPtr, std::less<>>;
  // The name index, rebuilt on first use after a change: most sessions sit idle and
  // never need it.
  const Index& index() const;

  const core::SessionLog& log_;
  std::array<ToolList, kToolSourceCount> sources_;
  mutable Index by_name_;
  mutable bool stale_ = false;
};

}  // namespace xz::tools
