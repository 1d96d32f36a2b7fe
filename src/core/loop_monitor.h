#pragma once
// Measures how late a short timer fires on every event loop: the direct symptom of a
// blocked loop. Two views on /metrics, each a histogram and a max gauge:
//   xiaozhi_event_loop_lag_ms    how late the timer fired, whatever the cause;
//   xiaozhi_event_loop_stall_ms  that lateness minus the time the loop thread waited for
//                                a CPU: what the server's own work (a long handler, a
//                                blocking call) caused, as opposed to a busy machine.
#include "core/metrics.h"
#include "core/runtime.h"

namespace xz::core {

// Starts one probe coroutine per loop (every `period`); they end when the loops stop,
// and write into `metrics` until then, so it must outlive the loops' running.
void start_loop_monitor(Runtime& rt, Metrics& metrics, std::chrono::milliseconds period = std::chrono::milliseconds(50));

}  // namespace xz::core
