// SenseVoice tags in recognised text (providers/asr/sense_voice_tags): from a local model
// or a FunASR server's answer. Properties: no tag survives in the text, the text is
// trimmed, no tag is longer than the bound, and splitting the text again finds nothing.
#include "fuzz/fuzz_check.h"
#include "providers/asr/sense_voice_tags.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = xz::fuzz::as_text(data, size);
  const auto r = xz::providers::split_sense_voice_tags(in);
  FUZZ_CHECK(r.text.size() <= in.size());
  for (const auto& t : r.tags) FUZZ_CHECK(!t.empty() && t.size() <= 32);
  const auto again = xz::providers::split_sense_voice_tags(r.text);
  FUZZ_CHECK(again.text == r.text);
  FUZZ_CHECK(xz::providers::tag_name(in).size() <= in.size());
  (void)xz::providers::sense_voice_emotion_emoji(in);
  return 0;
}
