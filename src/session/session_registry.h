#pragma once
// Every live device session, across all event loops (hence the mutex: sessions live on
// different loops). A second connection from the same device replaces the first.
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "protocol/mcp_jsonrpc.h"

namespace xz::session {

struct SessionInfo {
  std::string device_id;  // normalised
  std::string client_id;
  std::string session_id;
  // Online without a conversation (an MQTT device between conversations); session_id
  // is then the connection's own registry key, not a conversation's.
  bool idle = false;
  std::string transport = "websocket";  // DeviceLink::transport()
  int protocol_version = 1;
  std::chrono::system_clock::time_point since;
  std::string state = "connected";
  std::string remote_ip;
};

// What other threads may ask of a session; implementations post to the session's
// own executor, so every method is safe to call from anywhere.
class SessionControl {
 public:
  virtual ~SessionControl() = default;
  // Closes the session; with after_turn, a reply being spoken is finished first.
  virtual void request_close(std::string reason, bool after_turn) = 0;
  // Drops the connection at once (end of the shutdown grace period).
  virtual void request_abort(std::string reason) = 0;

  // Operator push. Each runs on the session's executor and resumes the caller on its
  // own; each throws std::runtime_error when the session has ended meanwhile.
  // Says `text` now; false when the session cannot speak (closing, no voice pipeline).
  virtual boost::asio::awaitable<bool> speak(std::string text) = 0;
  // How speak() reaches the user: "voice" (spoken in the conversation) or "alert" (shown
  // on screen: a device without an audio channel cannot be sent audio).
  virtual std::string_view speak_delivery() const { return "voice"; }
  // Calls one of the device's MCP tools (throws when it has none or does not answer).
  virtual boost::asio::awaitable<protocol::McpCallOutcome> call_device_tool(std::string name,
                                                                            nlohmann::json arguments) = 0;
  // The tools of the session (see Conversation::describe_tools).
  virtual boost::asio::awaitable<nlohmann::json> describe_tools() = 0;
  // The configuration behind the device's agent changed (see Conversation::on_config_changed).
  virtual void config_changed() {}
};

class SessionRegistry {
 public:
  // Registers a session. Returns the control of the session it replaces (same device
  // id), which the caller closes; nullptr when there was none.
  std::shared_ptr<SessionControl> add(const SessionInfo& info, std::shared_ptr<SessionControl> control);
  // Removes the session if it is still the registered one for its device.
  void remove(const std::string& device_id, const std::string& session_id);
  void set_state(const std::string& device_id, const std::string& session_id, std::string state);
  void set_protocol(const std::string& device_id, const std::string& session_id, int version);

  // Devices online (in a conversation or idle).
  std::size_t size() const;
  // Devices online over one transport (SessionInfo::transport).
  std::size_t count(std::string_view transport) const;
  // Conversations (entries not idle), in all or over one transport.
  std::size_t sessions() const;
  std::size_t sessions(std::string_view transport) const;
  std::vector<SessionInfo> list() const;
  std::shared_ptr<SessionControl> find(const std::string& device_id) const;
  std::vector<std::shared_ptr<SessionControl>> all() const;

 private:
  struct Entry {
    SessionInfo info;
    std::shared_ptr<SessionControl> control;
  };
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> by_device_;
};

}  // namespace xz::session
