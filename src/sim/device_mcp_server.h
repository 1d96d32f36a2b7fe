#pragma once
// The MCP server a stock device runs (device-protocol.md §5), answering the backend's
// JSON-RPC the way the firmware does: integer ids only, errors without `code`,
// tools/list pages of at most 8000 bytes with nextCursor = name of the next tool,
// user-only tools listed only with withUserTools.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::sim {

struct SimTool {
  std::string name;
  std::string description;
  nlohmann::json properties = nlohmann::json::object();  // name -> {type, minimum, maximum, default}
  bool user_only = false;
  // Returns the tool's text result; throw std::runtime_error to answer an error.
  std::function<std::string(const nlohmann::json& args)> call;
};

struct ToolCallRecord {
  std::string name;
  nlohmann::json arguments;
};

class DeviceMcpServer {
 public:
  // `extra_board_tools` adds board-specific tools (robot, lamp, LED strip...) so the
  // list spans more than one page, as on richer boards.
  explicit DeviceMcpServer(bool extra_board_tools = true);

  // Handles one payload; returns the reply payload to send, or nothing (notifications,
  // string ids, malformed requests: the firmware stays silent for those).
  std::optional<nlohmann::json> handle(const nlohmann::json& payload);

  void add_tool(SimTool tool);
  const std::vector<ToolCallRecord>& calls() const { return calls_; }
  // Records a call answered outside handle() (the camera's upload is asynchronous).
  void note_call(std::string name, nlohmann::json arguments) { calls_.push_back({std::move(name), std::move(arguments)}); }
  // The capabilities.vision the backend sent in initialize ("" when none).
  const std::string& vision_url() const { return vision_url_; }
  const std::string& vision_token() const { return vision_token_; }
  int volume() const { return volume_; }
  int list_requests() const { return list_requests_; }
  bool initialized() const { return initialized_; }

  static nlohmann::json tool_json(const SimTool& t);

 private:
  nlohmann::json list_tools(const nlohmann::json& params, std::string* error);
  nlohmann::json call_tool(const nlohmann::json& params, std::string* error);

  std::vector<SimTool> tools_;
  std::vector<ToolCallRecord> calls_;
  std::string vision_url_, vision_token_;
  int volume_ = 70;
  int brightness_ = 80;
  std::string theme_ = "light";
  int list_requests_ = 0;
  bool initialized_ = false;
};

}  // namespace xz::sim
