#pragma once
// Measures how late a short timer fires on every event loop: the direct symptom of a
// blocked loop. Feeds a histogram and a max gauge on /metrics.
#include "core/metrics.h"
#include "core/runtime.h"

namespace xz::core {

// Starts one probe coroutine per loop (every `period`); they end when the loops stop.
void start_loop_monitor(Runtime& rt, Metrics& metrics, std::chrono::milliseconds period = std::chrono::milliseconds(50));

}  // namespace xz::core
