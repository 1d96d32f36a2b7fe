#include "sim/load/load_metrics.h"

#include <initializer_list>
#include <utility>

namespace xz::sim {

void LoadMetrics::merge(const LoadMetrics& o) {
  using Pair = std::pair<SampleSet*, const SampleSet*>;
  for (auto [mine, theirs] : std::initializer_list<Pair>{{&ota_ms, &o.ota_ms},
                              {&connect_ms, &o.connect_ms},
                              {&hello_ms, &o.hello_ms},
                              {&eos_to_first_frame_ms, &o.eos_to_first_frame_ms},
                              {&vad_to_first_frame_ms, &o.vad_to_first_frame_ms},
                              {&server_added_ms, &o.server_added_ms},
                              {&vad_to_stt_ms, &o.vad_to_stt_ms},
                              {&frame_lateness_ms, &o.frame_lateness_ms},
                              {&abort_to_last_frame_ms, &o.abort_to_last_frame_ms},
                              {&abort_to_tts_stop_ms, &o.abort_to_tts_stop_ms},
                              {&uplink_lateness_ms, &o.uplink_lateness_ms},
                              {&loop_lateness_ms, &o.loop_lateness_ms}})
    mine->merge(*theirs);
  devices += o.devices;
  ota_failed += o.ota_failed;
  connect_failed += o.connect_failed;
  hello_ok += o.hello_ok;
  hello_timeouts += o.hello_timeouts;
  held_at_release += o.held_at_release;
  closed_by_server += o.closed_by_server;
  mcp_answers += o.mcp_answers;
  turns_ok += o.turns_ok;
  turns_timed_out += o.turns_timed_out;
  replies_before_abort += o.replies_before_abort;
  vad_mismatches += o.vad_mismatches;
  frames += o.frames;
  frames_late_5ms += o.frames_late_5ms;
  frames_outside_speaking += o.frames_outside_speaking;
  uplink_packets += o.uplink_packets;
}

nlohmann::json LoadMetrics::to_json(bool raw) const {
  const auto scheduled = frame_lateness_ms.count();
  return {
      {"counts",
       {{"devices", devices},
        {"ota_failed", ota_failed},
        {"connect_failed", connect_failed},
        {"hello_ok", hello_ok},
        {"hello_timeouts", hello_timeouts},
        {"held_at_release", held_at_release},
        {"closed_by_server", closed_by_server},
        {"mcp_answers", mcp_answers},
        {"turns_ok", turns_ok},
        {"turns_timed_out", turns_timed_out},
        {"replies_before_abort", replies_before_abort},
        {"vad_mismatches", vad_mismatches},
        {"uplink_packets", uplink_packets}}},
      {"latency_ms",
       {{"ota", ota_ms.to_json(raw)},
        {"connect", connect_ms.to_json(raw)},
        {"hello", hello_ms.to_json(raw)},
        {"eos_to_first_frame", eos_to_first_frame_ms.to_json(raw)},
        {"vad_to_first_frame", vad_to_first_frame_ms.to_json(raw)},
        {"server_added", server_added_ms.to_json(raw)},
        {"vad_to_stt", vad_to_stt_ms.to_json(raw)},
        {"abort_to_last_frame", abort_to_last_frame_ms.to_json(raw)},
        {"abort_to_tts_stop", abort_to_tts_stop_ms.to_json(raw)}}},
      {"downlink",
       {{"frames", frames},
        {"paced_frames", scheduled},
        {"late_over_5ms", frames_late_5ms},
        {"late_fraction", scheduled ? static_cast<double>(frames_late_5ms) / static_cast<double>(scheduled) : 0.0},
        {"frames_outside_speaking", frames_outside_speaking},
        {"lateness_ms", frame_lateness_ms.to_json(raw)}}},
      {"simulator",
       {{"uplink_send_lateness_ms", uplink_lateness_ms.to_json(raw)},
        {"loop_lateness_ms", loop_lateness_ms.to_json(raw)}}},
  };
}

}  // namespace xz::sim
