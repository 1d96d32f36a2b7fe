#include "pipeline/voice_metrics.h"

namespace xz::pipeline {

namespace {
core::Histogram& stage(core::Metrics& m, const char* s) {
  return m.histogram("xiaozhi_turn_stage_latency_ms", "Latency of each stage of a voice turn, in milliseconds",
                     core::latency_buckets_ms(), std::string("stage=\"") + s + "\"");
}
core::Counter& error(core::Metrics& m, const char* kind) {
  return m.counter("xiaozhi_provider_errors_total", "Failed provider calls", std::string("provider=\"") + kind + "\"");
}
}  // namespace

VoiceMetrics::VoiceMetrics(core::Metrics& m)
    : asr_final_ms(stage(m, "asr_final")),
      llm_first_token_ms(stage(m, "llm_first_token")),
      tts_first_audio_ms(stage(m, "tts_first_audio")),
      first_frame_ms(stage(m, "first_frame")),
      barge_in_stop_ms(stage(m, "barge_in_stop")),
      turns(m.counter("xiaozhi_turns_total", "Voice turns started")),
      turns_interrupted(m.counter("xiaozhi_turns_interrupted_total", "Turns cancelled by abort or barge-in")),
      speculative_replies_confirmed(m.counter("xiaozhi_speculative_replies_confirmed_total",
                                              "Replies started at a pause and confirmed by the end of speech")),
      speculative_replies_discarded(m.counter("xiaozhi_speculative_replies_discarded_total",
                                              "Replies started at a pause and discarded unseen (the user went on)")),
      turns_refused(m.counter("xiaozhi_turns_refused_total", "Turns a device asked for beyond max_turns_per_minute")),
      uplink_dropped_over_speed(m.counter("xiaozhi_uplink_frames_dropped_total", "Uplink audio frames not decoded",
                                          "reason=\"over_speed\"")),
      uplink_dropped_overload(m.counter("xiaozhi_uplink_frames_dropped_total", "Uplink audio frames not decoded",
                                        "reason=\"overload\"")),
      listen_messages_dropped(m.counter("xiaozhi_listen_messages_dropped_total",
                                        "listen messages dropped, more than max_queued_listen_messages waiting")),
      llm_errors(error(m, "llm")),
      tts_errors(error(m, "tts")),
      asr_errors(error(m, "asr")),
      profile_updates(m.counter("xiaozhi_profile_updates_total",
                                "Live conversations handed a newer agent configuration (used from their next turn)")),
      downlink_queued_frames(m.gauge("xiaozhi_queue_depth", "Items waiting in a queue, all sessions",
                                     "queue=\"downlink_frames\"")),
      uplink_queued_frames(m.gauge("xiaozhi_queue_depth", "Items waiting in a queue, all sessions",
                                   "queue=\"uplink_frames\"")) {}

}  // namespace xz::pipeline
