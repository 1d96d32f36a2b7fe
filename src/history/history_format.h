#pragma once
// The `history` command's text: a device's stored turns, grouped by session, with
// time, role, text, tool calls and results, and timings.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "history/turn_record.h"

namespace xz::history {

struct HistoryFormatOptions {
  // Minutes east of UTC for the shown times; std::nullopt = the machine's time zone.
  std::optional<int> utc_offset_minutes;
  std::size_t max_tool_text = 300;  // tool arguments/results are shortened beyond this
};

std::string format_history(std::string_view device_id, const std::vector<StoredTurn>& turns,
                           const HistoryFormatOptions& opts = {});

}  // namespace xz::history
