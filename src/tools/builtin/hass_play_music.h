#pragma once
// hass_play_music(entity_id, media_content_id): plays music on a Home Assistant media
// player through Music Assistant (music_assistant.play_media).
#include <memory>

#include "tools/builtin/home_assistant.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/tool.h"

namespace xz::tools::builtin {

class HassPlayMusic final : public Tool {
 public:
  HassPlayMusic(std::shared_ptr<HomeAssistant> ha, std::string description = {});
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  std::shared_ptr<HomeAssistant> ha_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
