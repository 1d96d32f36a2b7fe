#pragma once
// One device conversation channel, from its link's first message to its end: hello,
// routing of every device message, timeouts. It sees the device only through its
// DeviceLink, so it runs the same over any transport. Lives on the link's event loop;
// nothing in here is touched from another thread (other threads go through SessionControl).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/log.h"
#include "protocol/device_messages.h"
#include "session/conversation.h"
#include "session/device_link.h"
#include "session/identity.h"
#include "session/session_registry.h"
#include "session/server_actions.h"
#include "session/session_settings.h"

namespace xz::session {

class ServerActions;

struct SessionDeps {
  const SessionSettings& settings;
  SessionRegistry& registry;
  ConversationFactory make_conversation;  // empty: no voice pipeline (protocol only)
  ServerActions* server_actions = nullptr;  // null: "server" messages are ignored (no manager-api)
};

class Session : public std::enable_shared_from_this<Session>, private SessionHooks {
 public:
  Session(SessionDeps deps, std::unique_ptr<DeviceLink> link, DeviceIdentity identity);
  ~Session() override;

  // Registers the session, then reads and routes messages until the link ends.
  boost::asio::awaitable<void> run();
  // On the session's executor only.
  void close(std::string reason);
  // Closes once the reply being spoken has ended (the conversation decides), else now.
  void close_after_turn(std::string reason);
  void abort(std::string reason);

  const std::string& session_id() const { return session_id_; }
  const DeviceIdentity& identity() const { return identity_; }

 private:
  class Control;

  void register_session();
  // Closes a session that never says hello or goes quiet; re-arms itself.
  void watch();
  void on_text(const std::string& text);
  void on_audio(std::string_view opus, std::uint32_t timestamp_ms);
  void on_hello(const protocol::HelloMsg& hello);
  void on_listen(const protocol::ListenMsg& msg);
  void on_abort(const protocol::AbortMsg& msg);
  void on_ping();
  void on_server(const protocol::ServerMsg& msg);
  static boost::asio::awaitable<void> run_server_action(std::shared_ptr<Session> self, std::string action,
                                                        std::string secret);
  // Logs a dropped message, rate-limited so a misbehaving device cannot flood the log.
  void drop(std::string_view what, std::string_view why);

  // SessionHooks
  void note_activity() override;
  void close_session(std::string reason) override;
  void set_state(std::string state) override;

  SessionDeps deps_;
  std::unique_ptr<DeviceLink> link_;
  DeviceIdentity identity_;
  std::string session_id_;
  core::SessionLog log_;
  std::unique_ptr<Conversation> conversation_;
  std::shared_ptr<Control> control_;
  boost::asio::steady_timer watchdog_timer_;

  bool hello_done_ = false;
  bool closed_ = false;
  bool goodbye_started_ = false;
  bool server_action_running_ = false;
  int uplink_frame_ms_ = 60;
  std::chrono::steady_clock::time_point connected_at_;
  std::chrono::steady_clock::time_point last_activity_;
  std::uint64_t dropped_ = 0;
};

}  // namespace xz::session
