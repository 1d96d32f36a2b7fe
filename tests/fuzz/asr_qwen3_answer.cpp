// DashScope compatible-mode answers of qwen3-asr-flash (providers/asr/asr_answers): any
// bytes give a transcript or an AnswerError, never a crash; the transcript comes from
// the input and the error message of any body is short and not empty.
#include <string>

#include "fuzz/fuzz_check.h"
#include "providers/asr/asr_answers.h"

using namespace xz::providers::asr_answers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = xz::fuzz::as_text(data, size);
  const std::string message = error_message(bytes);
  FUZZ_CHECK(!message.empty() && message.size() <= 2 * size + 320);
  try {
    const auto r = qwen3_answer(bytes);
    FUZZ_CHECK(r.text.size() <= size);
    FUZZ_CHECK(r.text.empty() || (r.text.front() != ' ' && r.text.back() != ' '));
    FUZZ_CHECK(r.language.size() <= size && r.emotion.size() <= size);
  } catch (const AnswerError& e) {
    FUZZ_CHECK(std::string(e.what()).size() > 0);
  }
  return 0;
}
