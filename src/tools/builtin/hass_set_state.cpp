#include "tools/builtin/hass_set_state.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/log.h"

namespace xz::tools::builtin {

namespace {

// The `input` value as a number: 50, 50.5 and "50" are all accepted from an LLM.
std::optional<double> number_arg(const nlohmann::json& state, const char* key) {
  if (!state.contains(key)) return std::nullopt;
  const auto& v = state[key];
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    try {
      std::size_t used = 0;
      const auto s = v.get<std::string>();
      double d = std::stod(s, &used);
      if (used == s.size()) return d;
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

std::optional<bool> bool_arg(const nlohmann::json& state, const char* key) {
  if (!state.contains(key)) return std::nullopt;
  const auto& v = state[key];
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  }
  if (v.is_number()) return v.get<double>() != 0;
  return std::nullopt;
}

}  // namespace

ServiceCallPlan plan_service_call(const std::string& id, const nlohmann::json& state) {
  if (!state.is_object() || !state.contains("type") || !state["type"].is_string())
    return {std::nullopt, "state.type is required (e.g. turn_on, turn_off, brightness_value, volume_set)"};
  const std::string type = state["type"].get<std::string>();
  const std::string domain = entity_domain(id);
  ServiceCall c{domain, "", nlohmann::json{{"entity_id", id}}, ""};
  auto need_input = [&](double lo, double hi) -> std::optional<double> {
    auto v = number_arg(state, "input");
    if (!v || !std::isfinite(*v)) return std::nullopt;
    return std::clamp(*v, lo, hi);
  };
  if (type == "turn_on") {
    c.service = domain == "cover" ? "open_cover" : domain == "vacuum" ? "start" : "turn_on";
    c.description = "Device turned on";
  } else if (type == "turn_off") {
    c.service = domain == "cover" ? "close_cover" : domain == "vacuum" ? "stop" : "turn_off";
    c.description = "Device turned off";
  } else if (type == "toggle") {
    c.service = "toggle";
    c.description = "Device toggled";
  } else if (type == "brightness_up" || type == "brightness_down") {
    c.service = "turn_on";
    c.data["brightness_step_pct"] = type == "brightness_up" ? 10 : -10;
    c.description = type == "brightness_up" ? "Brightness increased" : "Brightness decreased";
  } else if (type == "brightness_value") {
    auto v = need_input(1, 100);
    if (!v) return {std::nullopt, "state.input (brightness 1-100) is required for brightness_value"};
    c.service = "turn_on";
    c.data["brightness_pct"] = std::lround(*v);
    c.description = fmt::format("Brightness set to {}%", std::lround(*v));
  } else if (type == "set_color") {
    const auto* rgb = state.contains("rgb_color") ? &state["rgb_color"] : nullptr;
    if (!rgb || !rgb->is_array() || rgb->size() != 3 ||
        !std::all_of(rgb->begin(), rgb->end(), [](const auto& x) { return x.is_number(); }))
      return {std::nullopt, "state.rgb_color must be three numbers 0-255 for set_color"};
    nlohmann::json color = nlohmann::json::array();
    for (const auto& x : *rgb) color.push_back(std::clamp<long>(std::lround(x.template get<double>()), 0, 255));
    c.service = "turn_on";
    c.data["rgb_color"] = color;
    c.description = fmt::format("Color set to RGB {}", color.dump());
  } else if (type == "set_kelvin") {
    auto v = need_input(1000, 12000);
    if (!v) return {std::nullopt, "state.input (color temperature in kelvin) is required for set_kelvin"};
    c.service = "turn_on";
    c.data["color_temp_kelvin"] = std::lround(*v);
    c.description = fmt::format("Color temperature set to {} K", std::lround(*v));
  } else if (type == "volume_up" || type == "volume_down") {
    c.service = type;
    c.description = type == "volume_up" ? "Volume increased" : "Volume decreased";
  } else if (type == "volume_set") {
    auto v = need_input(0, 100);
    if (!v) return {std::nullopt, "state.input (volume 0-100) is required for volume_set"};
    // 1-100 is a percentage; a fraction below 1 is already Home Assistant's 0-1 level.
    const double level = *v >= 1 ? *v / 100 : *v;
    c.service = "volume_set";
    c.data["volume_level"] = std::round(level * 100) / 100;
    c.description = fmt::format("Volume set to {}%", std::lround(level * 100));
  } else if (type == "volume_mute") {
    auto muted = bool_arg(state, "is_muted");
    if (!muted) return {std::nullopt, "state.is_muted (true or false) is required for volume_mute"};
    c.service = "volume_mute";
    c.data["is_volume_muted"] = *muted;
    c.description = *muted ? "Device muted" : "Device unmuted";
  } else if (type == "pause") {
    c.service = domain == "media_player" ? "media_pause" : domain == "cover" ? "stop_cover" : "pause";
    c.description = "Device paused";
  } else if (type == "continue") {
    if (domain == "media_player") c.service = "media_play";
    else if (domain == "vacuum") c.service = "start";
    else return {std::nullopt, fmt::format("continue is not supported for {} devices", domain)};
    c.description = "Device resumed";
  } else {
    return {std::nullopt, fmt::format("state.type '{}' is not supported", type)};
  }
  return {std::move(c), {}};
}

HassSetState::HassSetState(std::shared_ptr<HomeAssistant> ha, std::string description) : ha_(std::move(ha)) {
  schema_.name = "hass_set_state";
  schema_.description = description.empty()
                            ? "Control a Home Assistant device: turn it on or off, toggle it, change light "
                              "brightness, color or color temperature, set a media player's volume, mute it, "
                              "pause or continue playback."
                            : std::move(description);
  if (const auto list = ha_->settings().device_list(); !list.empty()) schema_.description += "\n" + list;
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"state",
         {{"type", "object"},
          {"properties",
           {{"type",
             {{"type", "string"},
              {"description",
               "The action: turn_on, turn_off, toggle, brightness_up, brightness_down, brightness_value (set "
               "brightness), set_color, set_kelvin (color temperature), volume_up, volume_down, volume_set, "
               "volume_mute, pause, continue."}}},
            {"input",
             {{"type", "integer"},
              {"description", "Only for brightness_value and volume_set (1-100, percent) and set_kelvin (kelvin)."}}},
            {"is_muted",
             {{"type", "string"}, {"description", "Only for volume_mute: true to mute, false to unmute."}}},
            {"rgb_color",
             {{"type", "array"},
              {"items", {{"type", "integer"}}},
              {"description", "Only for set_color: the color as [red, green, blue], each 0-255."}}}}},
          {"required", {"type"}}}},
        {"entity_id",
         {{"type", "string"}, {"description", "The device's entity_id in Home Assistant, e.g. light.kitchen."}}}}},
      {"required", {"state", "entity_id"}},
  };
}

boost::asio::awaitable<ToolResult> HassSetState::call(nlohmann::json arguments, SessionActions& session) {
  std::string id;
  nlohmann::json state;
  if (arguments.is_object()) {
    if (arguments.contains("entity_id") && arguments["entity_id"].is_string())
      id = arguments["entity_id"].get<std::string>();
    if (arguments.contains("state")) state = arguments["state"];
  }
  if (!valid_entity_id(id))
    co_return ToolResult::llm(fmt::format("'{}' is not a Home Assistant entity_id (like light.kitchen). {}", id,
                                          ha_->settings().device_list()));
  ServiceCallPlan plan = plan_service_call(id, state);
  if (!plan.call) co_return ToolResult::llm(fmt::format("Cannot set {}: {}.", id, plan.problem));
  ServiceCall c = std::move(*plan.call);
  try {
    std::string domain = c.domain, service = c.service;
    WebApiReply reply = co_await ha_->call_service(std::move(domain), std::move(service), c.data);
    if (reply.status < 200 || reply.status > 299)
      co_return home_assistant_failure(reply, fmt::format("{}.{} for {}", c.domain, c.service, id), ha_->settings());
    co_return ToolResult::llm(fmt::format("{} ({}, via {}.{}).", c.description, id, c.domain, c.service));
  } catch (const WebApiError& e) {
    core::SessionLog(session.device_id(), session.session_id()).warn("hass_set_state({}): {}", id, e.what());
    co_return home_assistant_unreachable(e);
  }
}

}  // namespace xz::tools::builtin
