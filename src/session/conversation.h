#pragma once
// The seam between the session (transport, routing, timeouts) and the voice pipeline
// that lives in a lower layer (pipeline/). The session owns one Conversation per
// device connection and forwards device events to it; the Conversation talks back
// through SessionHooks. All calls happen on the session's executor.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/log.h"
#include "protocol/device_messages.h"
#include "protocol/mcp_jsonrpc.h"
#include "session/device_link.h"
#include "session/identity.h"

namespace xz::session {

class SessionHooks {
 public:
  virtual ~SessionHooks() = default;
  // The user did something (spoke, typed): postpones the no-voice timeout.
  virtual void note_activity() = 0;
  // Ends the session after what is queued has been sent (e.g. after a goodbye reply).
  virtual void close_session(std::string reason) = 0;
  // For the registry and logs: "idle", "listening", "speaking", ...
  virtual void set_state(std::string state) = 0;
};

struct ConversationContext {
  boost::asio::any_io_executor executor;  // the session's loop
  DeviceLink& link;
  SessionHooks& hooks;
  const DeviceIdentity& identity;
  const std::string& session_id;
  const core::SessionLog& log;
};

class Conversation {
 public:
  virtual ~Conversation() = default;
  virtual void on_hello(const protocol::HelloMsg& hello) = 0;
  // One uplink Opus packet (already unframed).
  virtual void on_audio(std::string_view opus, std::uint32_t timestamp) = 0;
  virtual void on_listen(const protocol::ListenMsg& msg) = 0;
  virtual void on_abort(std::string_view reason) = 0;
  virtual void on_mcp(const nlohmann::json& payload) = 0;
  virtual void on_iot(const protocol::IotMsg& msg) = 0;
  // close_connection_no_voice_time passed without voice: say goodbye, then close.
  virtual void on_no_voice_timeout() = 0;
  // The configuration behind the device's agent changed (update_config): a conversation
  // that can, picks up the new one from its next turn.
  virtual void on_config_changed() {}
  // A reply is being produced or spoken.
  virtual bool busy() const = 0;
  // Ends the session (hooks.close_session, called once) when the reply being given
  // ends, finished or interrupted, or at once when there is none. The conversation
  // alone decides when a reply has ended, so it alone owns "close after the reply"
  // (shutdown asks it: nobody is cut off mid-sentence).
  virtual void close_session_after_reply(std::string reason) = 0;
  // The connection is ending: cancel everything and release engines.
  virtual boost::asio::awaitable<void> stop() = 0;

  // Operator push: says `text` now (a reply in progress is interrupted). False when the
  // conversation is closing.
  virtual bool speak(std::string text) = 0;
  // Operator push: calls one of the device's own MCP tools (user-only ones too).
  // Throws std::runtime_error when the device has no MCP or does not answer in time.
  virtual boost::asio::awaitable<protocol::McpCallOutcome> call_device_tool(std::string name,
                                                                            nlohmann::json arguments) = 0;
  // {"llm": [tool names the LLM sees], "device": [{"name","description","user_only"}]}
  virtual nlohmann::json describe_tools() const = 0;
};

using ConversationFactory =
    std::function<std::unique_ptr<Conversation>(const ConversationContext&)>;

// What a device nobody has bound hears and sees instead of a conversation
// (server.activation): the code an operator enters to bind it.
struct ActivationPrompt {
  std::string code;     // 6 digits
  std::string message;  // server.activation.message; the code follows it
};
using ActivationConversationFactory =
    std::function<std::unique_ptr<Conversation>(const ConversationContext&, const ActivationPrompt&)>;

}  // namespace xz::session
