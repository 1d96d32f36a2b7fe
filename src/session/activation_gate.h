#pragma once
// server.activation on the WebSocket. A device that is neither bound in the store nor
// listed in server.auth.allowed_devices gets no conversation: only its activation code,
// spoken and shown (ActivationPrompt). A device that never did an OTA check is recorded
// and gets a code too, the same code its next OTA answer will carry.
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "session/conversation.h"
#include "session/identity.h"

namespace xz::store {
class Store;
}

namespace xz::session {

struct ActivationGateSettings {
  bool enabled = false;
  std::set<std::string> allowed_devices;  // normalised ids (normalize_device_id)
  std::string message = "Open the control panel and enter this code";
  std::int64_t code_ttl_seconds = 86400;
};

class ActivationGate {
 public:
  // The store must outlive the gate.
  ActivationGate(store::Store& store, ActivationGateSettings settings);
  bool enabled() const { return settings_.enabled; }
  // What the device must be told instead of a conversation; nullopt when it may talk.
  // Throws store::DatabaseError (the caller refuses the connection: no check, no chat).
  boost::asio::awaitable<std::optional<ActivationPrompt>> check(const DeviceIdentity& who, std::int64_t now_s) const;

 private:
  store::Store& store_;
  ActivationGateSettings settings_;
};

}  // namespace xz::session
