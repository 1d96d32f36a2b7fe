#pragma once
// get_lunar(date?, query?): the Chinese lunar calendar for a day (today by default):
// lunar date, ganzhi of year/month/day, zodiac, solar terms and festivals, all
// computed locally for 1900-2100; the LLM answers the user's `query` from it.
#include "tools/builtin/wall_clock.h"
#include "tools/builtin/lunar_calendar.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/tool.h"

namespace xz::tools::builtin {

// The facts get_lunar gives the LLM for one day (kLunarFirstDay..kLunarLastDay).
std::string lunar_report(CivilDate day);

class GetLunar final : public Tool {
 public:
  explicit GetLunar(WallClock clock, std::string description = {});
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  WallClock clock_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
