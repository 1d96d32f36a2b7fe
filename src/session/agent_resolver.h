#pragma once
// Who a device talks with, decided when it connects: with the manager-api, its agent
// (or, when the manager says it is not bound, its bind code). The session starts once
// the answer is in; messages the device sends meanwhile wait in the socket.
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "session/conversation.h"
#include "session/identity.h"

namespace xz::session {

struct DeviceAgent {
  ConversationFactory conversation;      // talk with this (empty: the server's default)
  std::optional<ActivationPrompt> bind;  // or: not bound; it is told this and the session closes
};

class AgentResolver {
 public:
  virtual ~AgentResolver() = default;
  // Never fails a connection: a resolver that cannot answer falls back itself.
  virtual boost::asio::awaitable<DeviceAgent> resolve(DeviceIdentity who) = 0;
};

}  // namespace xz::session
