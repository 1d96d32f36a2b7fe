#pragma once
// Device -> server JSON text messages, parsed and validated (device-protocol.md §3.2,
// §3.5, §4.4, §6; reference-server.md §2.4). Tolerant where the firmware is loose
// (extra fields and session_id ignored, optional fields defaulted), strict where a wrong
// type would hurt (listen.state, mcp.payload, audio parameters).
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "protocol/json_text.h"

namespace xz::protocol {

enum class ListenState { start, stop, detect };
enum class ListenMode { auto_mode, manual, realtime };

struct AudioParams {
  std::string format = "opus";
  int sample_rate = 16000;
  int channels = 1;
  int frame_duration = 60;
};
struct Features {
  bool mcp = false;
  bool aec = false;
  bool glyph_push = false;
  bool emoji = true;
};
struct HelloMsg {
  int version = 1;
  std::string transport;  // "" when the client sent none (the reference's test page)
  Features features;
  std::optional<AudioParams> audio_params;
};
struct ListenMsg {
  ListenState state;
  std::optional<ListenMode> mode;
  std::optional<std::string> text;  // only kept for detect
};
struct AbortMsg {
  std::string reason;
};
struct McpMsg {
  nlohmann::json payload;  // always an object
};
struct IotMsg {
  nlohmann::json descriptors;  // array or null
  nlohmann::json states;       // array or null
  bool update = false;
};
struct PingMsg {};
struct GoodbyeMsg {
  std::string session_id;
};
// From the manager-api's own connection (manager-console.md §2.6.9), not from devices.
struct ServerMsg {
  std::string action;  // update_config, restart
  std::string secret;  // content.secret; "" when absent
};
using DeviceMessage = std::variant<HelloMsg, ListenMsg, AbortMsg, McpMsg, IotMsg, PingMsg, GoodbyeMsg, ServerMsg>;

struct MessageError {
  std::string type;    // "" when unknown/unparseable
  std::string reason;  // names the field, e.g. "listen.state: missing"
};

// Messages nested deeper than kMaxJsonDepth (json_text.h) are refused before parsing.
// Never throws.
std::variant<DeviceMessage, MessageError> parse_device_message(std::string_view text);

std::string_view to_string(ListenMode m);  // "auto", "manual", "realtime"
std::string_view to_string(ListenState s);  // "start", "stop", "detect"

}  // namespace xz::protocol
