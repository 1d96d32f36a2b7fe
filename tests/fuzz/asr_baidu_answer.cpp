// Baidu's OAuth token answers and short-speech recognition answers
// (providers/asr/asr_answers): any bytes give a token / a result or an AnswerError, never
// a crash; a token is never empty, a result's text comes from the input.
#include <string>

#include "fuzz/fuzz_check.h"
#include "providers/asr/asr_answers.h"

using namespace xz::providers::asr_answers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = xz::fuzz::as_text(data, size);
  try {
    const auto t = baidu_token_answer(bytes);
    FUZZ_CHECK(!t.access_token.empty() && t.access_token.size() <= size);
  } catch (const AnswerError& e) {
    FUZZ_CHECK(std::string(e.what()).size() > 0);
  }
  try {
    const auto r = baidu_answer(bytes);
    FUZZ_CHECK(r.text.size() <= size && r.err_msg.size() <= 2 * size + 8);
    FUZZ_CHECK(r.err_no != 0 || r.err_msg.size() <= size);
  } catch (const AnswerError& e) {
    FUZZ_CHECK(std::string(e.what()).size() > 0);
  }
  return 0;
}
