#pragma once
// hass_get_state(entity_id): a Home Assistant device's state and key attributes
// (brightness, colour, volume, what is playing, temperature...) for the LLM.
#include <memory>

#include "tools/builtin/home_assistant.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/tool.h"

namespace xz::tools::builtin {

// The state object of GET /api/states/{id} as a short sentence for the LLM.
std::string describe_entity_state(const nlohmann::json& state);

class HassGetState final : public Tool {
 public:
  HassGetState(std::shared_ptr<HomeAssistant> ha, std::string description = {});
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  std::shared_ptr<HomeAssistant> ha_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
