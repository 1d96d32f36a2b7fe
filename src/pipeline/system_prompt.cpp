#include "pipeline/system_prompt.h"

#include <ctime>

#include <fmt/format.h>

#include "memory/memory_prompt.h"

namespace xz::pipeline {

namespace {
void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
}
}  // namespace

std::string render_prompt(std::string_view tmpl, const PromptValues& v) {
  std::string out(tmpl);
  if (out.find("{{") == std::string::npos) return out;
  std::time_t t = std::chrono::system_clock::to_time_t(v.now) + v.utc_offset_minutes * 60;
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
  replace_all(out, "{{current_time}}", fmt::format("{:02}:{:02}", tm.tm_hour, tm.tm_min));
  replace_all(out, "{{today_date}}", fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday));
  replace_all(out, "{{today_weekday}}", kDays[tm.tm_wday]);
  replace_all(out, "{{language}}", v.language);
  return out;
}

std::string with_memory(std::string_view prompt, std::string_view memory) {
  if (memory.empty()) return std::string(prompt);
  const auto open = prompt.find("<memory>");
  const auto close = open == std::string_view::npos ? open : prompt.find("</memory>", open);
  if (close == std::string_view::npos) return std::string(prompt) + memory::memory_prompt_block(memory);
  return fmt::format("{}<memory>\n{}\n</memory>{}", prompt.substr(0, open), memory,
                     prompt.substr(close + std::string_view("</memory>").size()));
}

}  // namespace xz::pipeline
