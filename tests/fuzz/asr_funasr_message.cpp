// FunASR runtime server messages (providers/asr/asr_answers) and the SenseVoice tags in
// their text: any bytes give a message or an AnswerError, never a crash; what the
// engine keeps of the text is never longer than the input.
#include <string>

#include "fuzz/fuzz_check.h"
#include "providers/asr/asr_answers.h"
#include "providers/asr/sense_voice_tags.h"

using namespace xz::providers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = xz::fuzz::as_text(data, size);
  try {
    const auto m = asr_answers::funasr_message(bytes);
    FUZZ_CHECK(m.text.size() <= size && m.mode.size() <= size);
    const auto tagged = split_sense_voice_tags(m.text);
    FUZZ_CHECK(tagged.text.size() <= m.text.size());
  } catch (const asr_answers::AnswerError& e) {
    FUZZ_CHECK(std::string(e.what()).size() > 0);
  }
  return 0;
}
