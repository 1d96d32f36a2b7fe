#pragma once
// The configuration a device session reads, extracted once at start-up.
#include <chrono>

#include "core/config.h"
#include "protocol/device_messages.h"

namespace xz::session {

struct SessionSettings {
  std::chrono::milliseconds hello_timeout{10000};
  // close_connection_no_voice_time: silence before the goodbye turn...
  std::chrono::milliseconds no_voice_timeout{120000};
  // ...and the hard close this long after it.
  std::chrono::milliseconds hard_close_after{60000};
  protocol::AudioParams downlink{"opus", 24000, 1, 60};
  bool ping_enabled = false;

  static SessionSettings from_config(const core::Config& cfg);
};

}  // namespace xz::session
