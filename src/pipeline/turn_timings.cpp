#include "pipeline/turn_timings.h"

#include <fmt/format.h>

namespace xz::pipeline {

std::string TurnTimings::summary() const {
  std::string out;
  auto add = [&](const char* name, std::optional<double> v, const char* since) {
    if (!v) return;
    out += fmt::format("{}{} {:.1f} ms{}", out.empty() ? "" : ", ", name, *v, since);
  };
  // Each stage from the one before it, so the line shows where a slow reply lost time.
  add("asr final", ms(end_of_speech, asr_final), " after end of speech");
  add("llm asked", ms(asr_final, llm_request), " later");
  add("first token", ms(llm_request, llm_first_token), " later");
  add("tts asked", ms(llm_first_token, tts_request), " later");
  add("first audio", ms(tts_request, tts_first_audio), " later");
  add("first frame", ms(tts_first_audio, first_frame_sent), " later");
  add("total", ms(end_of_speech, first_frame_sent), " from end of speech to first frame");
  return out.empty() ? "no timings" : out;
}

}  // namespace xz::pipeline
