#pragma once
// When each stage of one reply happened, for the per-turn log line and the metrics.
#include <chrono>
#include <optional>
#include <string>

namespace xz::pipeline {

using Clock = std::chrono::steady_clock;

struct TurnTimings {
  std::optional<Clock::time_point> end_of_speech, asr_final, llm_request, llm_first_token, tts_request,
      tts_first_audio, first_frame_sent, stopped;

  static std::optional<double> ms(const std::optional<Clock::time_point>& from,
                                  const std::optional<Clock::time_point>& to) {
    if (!from || !to) return std::nullopt;
    return std::chrono::duration<double, std::milli>(*to - *from).count();
  }
  // "eos->asr 120 ms, llm first token 300 ms, ..." for the log.
  std::string summary() const;
};

}  // namespace xz::pipeline
