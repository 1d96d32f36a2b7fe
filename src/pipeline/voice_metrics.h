#pragma once
// The metrics every conversation feeds (per stage latency histograms, turn counters,
// provider errors, queue depths), registered once per process.
#include "core/metrics.h"

namespace xz::pipeline {

struct VoiceMetrics {
  explicit VoiceMetrics(core::Metrics& m);

  core::Histogram& asr_final_ms;        // end of speech -> ASR final text
  core::Histogram& llm_first_token_ms;  // LLM request -> first token
  core::Histogram& tts_first_audio_ms;  // first sentence to TTS -> first PCM
  core::Histogram& first_frame_ms;      // end of speech -> first audio frame sent
  core::Histogram& barge_in_stop_ms;    // abort/barge-in -> tts stop sent
  core::Counter& turns;
  core::Counter& turns_interrupted;
  // Replies started at a pause (speculative_silence_ms): confirmed by the endpoint, or
  // discarded unseen because the user went on.
  core::Counter& speculative_replies_confirmed;
  core::Counter& speculative_replies_discarded;
  core::Counter& turns_refused;                // over max_turns_per_minute
  core::Counter& uplink_dropped_over_speed;    // uplink frames beyond uplink_max_speed
  core::Counter& uplink_dropped_overload;      // uplink frames the listener could not keep up with
  core::Counter& listen_messages_dropped;      // beyond max_queued_listen_messages
  core::Counter& llm_errors;
  core::Counter& tts_errors;
  core::Counter& asr_errors;
  core::Counter& profile_updates;  // live conversations handed a newer agent configuration
  core::Gauge& downlink_queued_frames;  // frames waiting in pacers, all sessions
  core::Gauge& uplink_queued_frames;    // frames waiting for VAD/ASR, all sessions
};

}  // namespace xz::pipeline
