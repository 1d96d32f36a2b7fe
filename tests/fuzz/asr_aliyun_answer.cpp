// Aliyun NLS one-sentence recognition answers (providers/asr/asr_answers): any bytes give
// a transcript or an AnswerError, never a crash; the transcript comes from the input.
#include <string>

#include "fuzz/fuzz_check.h"
#include "providers/asr/asr_answers.h"

using namespace xz::providers::asr_answers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = xz::fuzz::as_text(data, size);
  try {
    FUZZ_CHECK(aliyun_answer(bytes).size() <= size);
  } catch (const AnswerError& e) {
    FUZZ_CHECK(std::string(e.what()).size() > 0);
  }
  return 0;
}
