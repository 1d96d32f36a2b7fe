#include "sim/device_mcp_server.h"

#include <stdexcept>

namespace xz::sim {

using Json = nlohmann::json;

namespace {

Json int_prop(int min, int max) { return {{"type", "integer"}, {"minimum", min}, {"maximum", max}}; }

Json error_reply(const Json& id, const std::string& message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"message", message}}}};
}

}  // namespace

DeviceMcpServer::DeviceMcpServer(bool extra_board_tools) {
  // The common tools of McpServer::AddCommonTools(), in the firmware's order.
  add_tool({"self.get_device_status",
            "Provides the real-time information of the device, including the current status of the "
            "audio speaker, screen, battery, network, etc.\nUse this tool for: \n1. Answering questions "
            "about current condition (e.g. what is the current volume of the audio speaker?)\n2. As the "
            "first step to control the device (e.g. turn up / down the volume of the audio speaker, etc.)",
            Json::object(), false, [this](const Json&) {
              return Json{{"audio_speaker", {{"volume", volume_}}},
                          {"screen", {{"brightness", brightness_}, {"theme", theme_}}},
                          {"battery", {{"level", 85}, {"charging", false}}},
                          {"network", {{"type", "wifi"}, {"ssid", "SimWiFi"}, {"signal", "strong"}}}}
                  .dump();
            }});
  add_tool({"self.audio_speaker.set_volume",
            "Set the volume of the audio speaker. If the current volume is unknown, you must call "
            "`self.get_device_status` tool first and then call this tool.",
            {{"volume", int_prop(0, 100)}}, false, [this](const Json& a) {
              volume_ = a.at("volume").get<int>();
              return std::string("true");
            }});
  add_tool({"self.screen.set_brightness", "Set the brightness of the screen.",
            {{"brightness", int_prop(0, 100)}}, false, [this](const Json& a) {
              brightness_ = a.at("brightness").get<int>();
              return std::string("true");
            }});
  add_tool({"self.screen.set_theme",
            "Set the theme of the screen. The theme can be `light` or `dark`.",
            {{"theme", {{"type", "string"}}}}, false, [this](const Json& a) {
              auto t = a.at("theme").get<std::string>();
              if (t != "light" && t != "dark") return std::string("false");
              theme_ = t;
              return std::string("true");
            }});
  add_tool({"self.camera.take_photo",
            "Always remember you have a camera. If the user asks you to see something, use this tool to "
            "take a photo and then explain it.\nArgs:\n  `question`: The question that you want to ask "
            "about the photo.\nReturn:\n  A JSON object that provides the photo information.",
            {{"question", {{"type", "string"}}}}, false, [this](const Json&) -> std::string {
              // The upload itself is done by the simulator (it owns the HTTP client).
              if (vision_url_.empty()) throw std::runtime_error("Image explain URL or token is not set");
              throw std::runtime_error("camera upload is handled by the simulator");
            }});
  if (extra_board_tools) {
    // Board tools, as richer boards append them; with them the list needs two pages.
    const char* parts[] = {"head",      "neck",      "left_arm",  "right_arm", "left_hand", "right_hand",
                           "left_leg",  "right_leg", "left_foot", "right_foot", "waist",    "tail",
                           "eyes",      "left_ear",  "right_ear", "jaw"};
    for (const char* p : parts) {
      std::string part = p;
      add_tool({"self.robot." + part + ".move",
                "Move the robot's " + part + " to an angle. Use small steps for smooth motion; the "
                "servo accepts angles from 0 to 180 degrees and a speed from 1 (slow) to 10 (fast). "
                "Call self.get_device_status first when the current pose is unknown, and never move "
                "two joints of the same limb at once.",
                {{"angle", int_prop(0, 180)}, {"speed", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10}, {"default", 5}}}},
                false, [](const Json&) { return std::string("true"); }});
    }
    add_tool({"self.lamp.turn_on", "Turn on the lamp.", Json::object(), false,
              [](const Json&) { return std::string("true"); }});
    add_tool({"self.lamp.turn_off", "Turn off the lamp.", Json::object(), false,
              [](const Json&) { return std::string("true"); }});
  }
  // User-only tools (AddUserOnlyTools), listed only with withUserTools.
  add_tool({"self.get_system_info", "Get the system information", Json::object(), true,
            [](const Json&) { return Json{{"application", {{"version", "2.4.2"}}}}.dump(); }});
  add_tool({"self.reboot", "Reboot the system", Json::object(), true,
            [](const Json&) { return std::string("true"); }});
}

void DeviceMcpServer::add_tool(SimTool tool) { tools_.push_back(std::move(tool)); }

Json DeviceMcpServer::tool_json(const SimTool& t) {
  Json schema = {{"type", "object"}, {"properties", t.properties}};
  Json required = Json::array();
  for (auto it = t.properties.begin(); it != t.properties.end(); ++it)
    if (!it->contains("default")) required.push_back(it.key());
  if (!required.empty()) schema["required"] = required;
  Json j = {{"name", t.name}, {"description", t.description}, {"inputSchema", schema}};
  if (t.user_only) j["annotations"] = {{"audience", {"user"}}};
  return j;
}

std::optional<Json> DeviceMcpServer::handle(const Json& payload) {
  if (!payload.is_object()) return std::nullopt;
  auto v = payload.find("jsonrpc");
  if (v == payload.end() || *v != "2.0") return std::nullopt;
  auto m = payload.find("method");
  if (m == payload.end() || !m->is_string()) return std::nullopt;
  std::string method = m->get<std::string>();
  if (method.rfind("notifications", 0) == 0) return std::nullopt;
  Json params = payload.value("params", Json::object());
  if (!params.is_object()) return std::nullopt;
  auto id = payload.find("id");
  if (id == payload.end() || !id->is_number()) return std::nullopt;  // string ids: no reply at all
  Json rid = static_cast<long long>(id->get<double>());

  std::string error;
  Json result;
  if (method == "initialize") {
    initialized_ = true;
    auto vision = params.value("capabilities", Json::object()).value("vision", Json::object());
    if (vision.is_object()) {
      vision_url_ = vision.value("url", "");
      vision_token_ = vision.value("token", "");
    }
    result = {{"protocolVersion", "2024-11-05"},
              {"capabilities", {{"tools", Json::object()}}},
              {"serverInfo", {{"name", "bread-compact-wifi"}, {"version", "2.4.2"}}}};
  } else if (method == "tools/list") {
    result = list_tools(params, &error);
  } else if (method == "tools/call") {
    result = call_tool(params, &error);
  } else {
    error = "Method not implemented: " + method;
  }
  if (!error.empty()) return error_reply(rid, error);
  return Json{{"jsonrpc", "2.0"}, {"id", rid}, {"result", result}};
}

Json DeviceMcpServer::list_tools(const Json& params, std::string* error) {
  ++list_requests_;
  std::string cursor = params.value("cursor", "");
  bool with_user = params.value("withUserTools", false);
  constexpr std::size_t kMaxPayload = 8000;
  Json out = {{"tools", Json::array()}};
  std::size_t size = std::string(R"({"tools":[]})").size();
  bool found = cursor.empty();
  for (const auto& t : tools_) {
    if (!found) {
      if (t.name != cursor) continue;
      found = true;
    }
    if (t.user_only && !with_user) continue;
    Json tj = tool_json(t);
    std::size_t add = tj.dump().size() + 1;
    if (size + add > kMaxPayload) {
      if (out["tools"].empty()) {
        *error = "Failed to add tool " + t.name + " because of payload size limit";
        return {};
      }
      out["nextCursor"] = t.name;
      return out;
    }
    size += add;
    out["tools"].push_back(std::move(tj));
  }
  return out;
}

Json DeviceMcpServer::call_tool(const Json& params, std::string* error) {
  std::string name = params.value("name", "");
  const SimTool* tool = nullptr;
  for (const auto& t : tools_)
    if (t.name == name) tool = &t;
  if (!tool) {
    *error = "Unknown tool: " + name;
    return {};
  }
  Json args = params.value("arguments", Json::object());
  if (!args.is_object()) {
    *error = "Invalid arguments";
    return {};
  }
  Json taken = Json::object();
  for (auto it = tool->properties.begin(); it != tool->properties.end(); ++it) {
    const std::string type = it->value("type", "string");
    auto a = args.find(it.key());
    bool ok = a != args.end() && ((type == "integer" && a->is_number()) ||
                                  (type == "boolean" && a->is_boolean()) ||
                                  (type == "string" && a->is_string()));
    if (!ok) {
      if (it->contains("default")) {
        taken[it.key()] = (*it)["default"];
        continue;
      }
      *error = "Missing valid argument: " + it.key();
      return {};
    }
    if (type == "integer") {
      long long n = static_cast<long long>(a->get<double>());
      if (it->contains("maximum") && n > (*it)["maximum"].get<long long>()) {
        *error = "Value exceeds maximum allowed: " + std::to_string((*it)["maximum"].get<long long>());
        return {};
      }
      if (it->contains("minimum") && n < (*it)["minimum"].get<long long>()) {
        *error = "Value is below minimum allowed: " + std::to_string((*it)["minimum"].get<long long>());
        return {};
      }
      taken[it.key()] = n;
    } else {
      taken[it.key()] = *a;
    }
  }
  calls_.push_back({name, taken});
  try {
    std::string text = tool->call(taken);
    return {{"content", {{{"type", "text"}, {"text", text}}}}, {"isError", false}};
  } catch (const std::exception& e) {
    *error = e.what();
    return {};
  }
}

}  // namespace xz::sim
