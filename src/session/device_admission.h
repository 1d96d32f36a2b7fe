#pragma once
// What a device that passed its transport's login gets: the server's policy on
// activation (server.activation) and on the device's agent (manager-api), shared by the
// WebSocket and the MQTT listeners so that a device is treated the same over both.
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "session/activation_gate.h"
#include "session/agent_resolver.h"
#include "session/identity.h"
#include "session/session.h"

namespace xz::session {

struct AdmissionPolicy {
  std::shared_ptr<const ActivationGate> gate;  // null or disabled: no activation check
  ActivationConversationFactory tell_activation;  // empty: unactivated devices are refused
  std::shared_ptr<AgentResolver> resolver;        // null: the server's default agent
};

// Either the deps the device's session runs with (its conversation chosen), or why it
// is refused (for the device's alert and the log).
struct Admission {
  std::optional<SessionDeps> deps;
  std::string refusal;
};

// True when admit() has nothing to wait for (the common case: no gate, no resolver).
bool admission_is_immediate(const AdmissionPolicy& policy);

// By value: the caller's objects may be gone when it resumes (shutdown).
boost::asio::awaitable<Admission> admit(SessionDeps deps, AdmissionPolicy policy, DeviceIdentity who);

}  // namespace xz::session
