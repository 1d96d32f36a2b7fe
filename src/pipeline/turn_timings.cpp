#include "pipeline/turn_timings.h"

#include <fmt/format.h>

namespace xz::pipeline {

std::string TurnTimings::summary() const {
  std::string out;
  auto add = [&](const char* name, std::optional<double> v) {
    if (!v) return;
    out += fmt::format("{}{} {:.0f} ms", out.empty() ? "" : ", ", name, *v);
  };
  add("asr final", ms(end_of_speech, asr_final));
  add("llm first token", ms(llm_request, llm_first_token));
  add("tts first audio", ms(tts_request, tts_first_audio));
  add("first frame after end of speech", ms(end_of_speech, first_frame_sent));
  return out.empty() ? "no timings" : out;
}

}  // namespace xz::pipeline
