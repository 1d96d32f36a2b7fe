#pragma once
// The load generator behind `xiaozhi-sim load`: many LoadDevices spread round-robin
// over the simulator's own event loops, arriving at a fixed rate, plus a probe timer
// per loop so a slow simulator shows up in its own report instead of passing for a
// slow server.
#include <nlohmann/json.hpp>

#include "sim/load/load_options.h"

namespace xz::sim {

class LoadGenerator {
 public:
  explicit LoadGenerator(LoadOptions opts);

  // Runs the scenario to its end (blocking) and returns the report: options, the
  // turn plan, wall-clock milestones (epoch ms), counts, distributions and the
  // simulator's own lateness. Throws std::runtime_error when the scenario cannot run
  // (e.g. the server's VAD would not hear the utterance).
  nlohmann::json run();

 private:
  LoadOptions opts_;
};

// Milliseconds since the Unix epoch (wall clock), the time base the bench script's
// /proc samples use.
double epoch_ms();

}  // namespace xz::sim
