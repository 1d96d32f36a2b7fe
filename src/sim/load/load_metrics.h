#pragma once
// What the simulated devices of one event loop measured. Touched only on that loop;
// the generator merges the loops' metrics after the run.
#include <cstdint>

#include <nlohmann/json.hpp>

#include "sim/load/sample_set.h"

namespace xz::sim {

struct LoadMetrics {
  // Connection set-up, per device.
  SampleSet ota_ms, connect_ms, hello_ms;
  // Per turn. "vad" = the uplink packet whose arrival lets the server's VAD end the
  // utterance (see vad_calibration.h); server_added = vad_to_first_frame - provider delay.
  SampleSet eos_to_first_frame_ms, vad_to_first_frame_ms, server_added_ms, vad_to_stt_ms;
  // Downlink frames after the first five (the prebuffer burst): gap to the previous
  // frame minus 60 ms.
  SampleSet frame_lateness_ms;
  // Barge-in.
  SampleSet abort_to_last_frame_ms, abort_to_tts_stop_ms;
  // The simulator's own punctuality: uplink sends vs. their schedule, and a 10 ms
  // probe timer per loop.
  SampleSet uplink_lateness_ms, loop_lateness_ms;

  std::uint64_t devices = 0, ota_failed = 0, connect_failed = 0, hello_ok = 0, hello_timeouts = 0;
  std::uint64_t held_at_release = 0, closed_by_server = 0, mcp_answers = 0;
  std::uint64_t turns_ok = 0, turns_timed_out = 0, replies_before_abort = 0, vad_mismatches = 0;
  std::uint64_t frames = 0, frames_late_5ms = 0, frames_outside_speaking = 0, uplink_packets = 0;

  void merge(const LoadMetrics& o);
  nlohmann::json to_json(bool raw) const;
};

}  // namespace xz::sim
