#include "tools/builtin/hass_get_state.h"

#include <cmath>

#include <fmt/format.h>

#include "core/log.h"

namespace xz::tools::builtin {

namespace {

std::string value_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:g}", v.get<double>());
  return v.dump();
}

}  // namespace

std::string describe_entity_state(const nlohmann::json& state) {
  if (!state.is_object()) return "Home Assistant sent no state.";
  const std::string id = state.contains("entity_id") && state["entity_id"].is_string()
                             ? state["entity_id"].get<std::string>()
                             : std::string("?");
  const nlohmann::json attrs = state.contains("attributes") && state["attributes"].is_object()
                                   ? state["attributes"]
                                   : nlohmann::json::object();
  std::string text = "Device " + id;
  if (attrs.contains("friendly_name") && attrs["friendly_name"].is_string())
    text += " (" + attrs["friendly_name"].get<std::string>() + ")";
  text += ": state " + (state.contains("state") ? value_text(state["state"]) : std::string("unknown"));
  if (attrs.contains("unit_of_measurement") && attrs["unit_of_measurement"].is_string())
    text += " " + attrs["unit_of_measurement"].get<std::string>();
  struct Attr {
    const char* key;
    const char* label;
  };
  static constexpr Attr kAttrs[] = {
      {"media_title", "playing"},         {"media_artist", "artist"},
      {"volume_level", "volume"},         {"is_volume_muted", "muted"},
      {"brightness", "brightness"},       {"color_temp_kelvin", "color temperature (K)"},
      {"rgb_color", "RGB color"},         {"current_temperature", "current temperature"},
      {"temperature", "target temperature"}, {"hvac_action", "HVAC action"},
      {"current_position", "position"},   {"percentage", "speed (%)"},
      {"battery_level", "battery (%)"},
  };
  for (const auto& a : kAttrs) {
    if (!attrs.contains(a.key) || attrs[a.key].is_null()) continue;
    const auto& v = attrs[a.key];
    std::string shown = value_text(v);
    if (std::string_view(a.key) == "brightness" && v.is_number())  // 0-255 in Home Assistant
      shown += fmt::format(" of 255 ({}%)", std::lround(v.get<double>() * 100 / 255));
    if (std::string_view(a.key) == "volume_level" && v.is_number())  // 0-1
      shown = fmt::format("{}%", std::lround(v.get<double>() * 100));
    text += fmt::format("; {} {}", a.label, shown);
  }
  return text + ".";
}

HassGetState::HassGetState(std::shared_ptr<HomeAssistant> ha, std::string description) : ha_(std::move(ha)) {
  schema_.name = "hass_get_state";
  schema_.description = description.empty()
                            ? "Get the state of a Home Assistant device: on/off, light brightness, color and color "
                              "temperature, media player volume and what is playing, sensor values."
                            : std::move(description);
  if (const auto list = ha_->settings().device_list(); !list.empty()) schema_.description += "\n" + list;
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"entity_id",
         {{"type", "string"}, {"description", "The device's entity_id in Home Assistant, e.g. light.kitchen."}}}}},
      {"required", {"entity_id"}},
  };
}

boost::asio::awaitable<ToolResult> HassGetState::call(nlohmann::json arguments, SessionActions& session) {
  std::string id;
  if (arguments.is_object() && arguments.contains("entity_id") && arguments["entity_id"].is_string())
    id = arguments["entity_id"].get<std::string>();
  if (!valid_entity_id(id))
    co_return ToolResult::llm(fmt::format("'{}' is not a Home Assistant entity_id (like light.kitchen). {}", id,
                                          ha_->settings().device_list()));
  try {
    WebApiReply reply = co_await ha_->get_state(id);
    if (reply.status < 200 || reply.status > 299)
      co_return home_assistant_failure(reply, "getting " + id, ha_->settings());
    co_return ToolResult::llm(describe_entity_state(reply.body));
  } catch (const WebApiError& e) {
    core::SessionLog(session.device_id(), session.session_id()).warn("hass_get_state({}): {}", id, e.what());
    co_return home_assistant_unreachable(e);
  }
}

}  // namespace xz::tools::builtin
