#pragma once
// hass_set_state(entity_id, state{type, input, is_muted, rgb_color}): controls a Home
// Assistant device: on/off/toggle, brightness, color, color temperature, volume, mute,
// pause/continue; each becomes the matching service call of the entity's domain.
#include <memory>
#include <optional>

#include "tools/builtin/home_assistant.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/tool.h"

namespace xz::tools::builtin {

// One Home Assistant service call.
struct ServiceCall {
  std::string domain, service;
  nlohmann::json data;      // includes entity_id
  std::string description;  // what it does, for the LLM ("Brightness set to 50%")
};

// The service call for a hass_set_state request, or the reason it cannot be made.
struct ServiceCallPlan {
  std::optional<ServiceCall> call;
  std::string problem;
};
ServiceCallPlan plan_service_call(const std::string& entity_id, const nlohmann::json& state);

class HassSetState final : public Tool {
 public:
  HassSetState(std::shared_ptr<HomeAssistant> ha, std::string description = {});
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  std::shared_ptr<HomeAssistant> ha_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
