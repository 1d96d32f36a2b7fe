#pragma once
// What the store keeps about devices and their activation, as plain values.
// Times are Unix seconds.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xz::store {

enum class ActivationState {
  unbound,  // seen, never asked to activate (or activation is off)
  pending,  // holds an activation code, waiting for an operator to bind it
  bound,    // bound by an operator; may chat
};
std::string_view to_string(ActivationState s);
std::optional<ActivationState> parse_activation_state(std::string_view s);

struct DeviceRecord {
  std::string device_id;  // MAC, from the Device-Id header
  std::string client_id;  // UUID, from the Client-Id header
  std::string board;
  std::string firmware_version;
  std::int64_t first_seen = 0;
  std::int64_t last_seen = 0;
  ActivationState activation = ActivationState::unbound;
  std::optional<std::int64_t> bound_at;
  std::optional<std::int64_t> agent_id;  // nullopt: the config file's default agent
  std::int64_t revision = 1;             // +1 per change an operator makes (bind, unbind, assign)
};

// One OTA check: who asked and what it runs. Empty board/version keep the old values.
struct DeviceSighting {
  std::string device_id;
  std::string client_id;
  std::string board;
  std::string firmware_version;
  std::int64_t at = 0;
};

struct ActivationCode {
  std::string code;  // 6 digits
  std::string device_id;
  std::string challenge;  // the device echoes it to /activate
  std::int64_t created = 0;
  std::int64_t expires = 0;
};

enum class BindOutcome { bound, unknown_code, expired_code };

struct BindResult {
  BindOutcome outcome = BindOutcome::unknown_code;
  std::string device_id;  // set when bound
};

}  // namespace xz::store
