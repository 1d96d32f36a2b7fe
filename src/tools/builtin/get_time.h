#pragma once
// get_time(): the current date, time and weekday in the server's time zone
// (server.timezone_offset), with today's lunar date; the LLM answers from it.
#include "tools/builtin/wall_clock.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/tool.h"

namespace xz::tools::builtin {

class GetTime final : public Tool {
 public:
  explicit GetTime(WallClock clock, std::string description = {});
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  WallClock clock_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
