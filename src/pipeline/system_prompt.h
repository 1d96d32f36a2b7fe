#pragma once
// Renders the persona prompt per turn: the reference's {{current_time}} and friends.
#include <chrono>
#include <string>
#include <string_view>

namespace xz::pipeline {

struct PromptValues {
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  int utc_offset_minutes = 0;  // the devices' local time (server.timezone_offset)
  std::string language = "English";
};

// Replaces {{current_time}} (HH:MM), {{today_date}} (YYYY-MM-DD), {{today_weekday}} and
// {{language}}; unknown placeholders stay as they are.
std::string render_prompt(std::string_view tmpl, const PromptValues& v);

// The prompt with the device's memory: inside the prompt's <memory>...</memory> when it
// has one (the reference's templates do), else appended as such a block. An empty
// memory leaves the prompt as it is.
std::string with_memory(std::string_view prompt, std::string_view memory);

}  // namespace xz::pipeline
