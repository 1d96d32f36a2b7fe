#include "session/device_admission.h"

#include <chrono>

#include <spdlog/spdlog.h>

namespace xz::session {

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool admission_is_immediate(const AdmissionPolicy& policy) {
  return !(policy.gate && policy.gate->enabled()) && !policy.resolver;
}

boost::asio::awaitable<Admission> admit(SessionDeps deps, AdmissionPolicy policy, DeviceIdentity who) {
  Admission out;
  if (policy.gate && policy.gate->enabled()) {
    std::optional<ActivationPrompt> prompt;
    try {
      prompt = co_await policy.gate->check(who, unix_now());
    } catch (const std::exception& e) {
      spdlog::error("[dev={}] activation check failed: {}", who.device_id, e.what());
      out.refusal = "activation check failed, try again later";
      co_return out;
    }
    if (prompt) {
      if (!policy.tell_activation) {
        out.refusal = "device not activated: enter code " + prompt->code + " in the control panel";
        co_return out;
      }
      spdlog::info("[dev={} ip={}] not activated: it hears and sees its activation code {} instead of a conversation",
                   who.device_id, who.remote_ip, prompt->code);
      deps.make_conversation = [tell = policy.tell_activation, p = std::move(*prompt)](const ConversationContext& ctx) {
        return tell(ctx, p);
      };
      out.deps.emplace(std::move(deps));
      co_return out;
    }
  }
  if (policy.resolver) {
    DeviceAgent agent;
    try {
      agent = co_await policy.resolver->resolve(who);
    } catch (const std::exception& e) {
      // Resolvers fall back themselves; this is a bug, and the device still gets the default.
      spdlog::error("[dev={}] resolving the device's agent failed: {}; it gets the default", who.device_id, e.what());
    }
    if (agent.bind) {
      if (!policy.tell_activation) {
        out.refusal = agent.bind->code.empty()
                          ? "device not bound"
                          : "device not bound: enter code " + agent.bind->code + " in the control panel";
        co_return out;
      }
      deps.make_conversation = [tell = policy.tell_activation, p = std::move(*agent.bind)](
                                   const ConversationContext& ctx) { return tell(ctx, p); };
    } else if (agent.conversation) {
      deps.make_conversation = std::move(agent.conversation);
    }
  }
  out.deps.emplace(std::move(deps));
  co_return out;
}

}  // namespace xz::session
