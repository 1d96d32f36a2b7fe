#include "session/activation_gate.h"

#include "store/store.h"

namespace xz::session {

ActivationGate::ActivationGate(store::Store& store, ActivationGateSettings settings)
    : store_(store), settings_(std::move(settings)) {}

boost::asio::awaitable<std::optional<ActivationPrompt>> ActivationGate::check(const DeviceIdentity& who,
                                                                             std::int64_t now_s) const {
  if (!settings_.enabled || settings_.allowed_devices.count(who.device_key)) co_return std::nullopt;
  auto device = co_await store_.find_device(who.device_id);
  if (device && device->activation == store::ActivationState::bound) co_return std::nullopt;
  if (!device) {
    // Named, not braced in the co_await: g++ 12 destroys such temporaries twice.
    store::DeviceSighting seen{who.device_id, who.client_id, "", "", now_s};
    co_await store_.record_seen(std::move(seen));
  }
  auto code = co_await store_.activation_code_for(who.device_id, now_s, settings_.code_ttl_seconds);
  co_return ActivationPrompt{code.code, settings_.message};
}

}  // namespace xz::session
