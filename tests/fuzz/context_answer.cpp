// What a context provider answers (pipeline/context_answer): any body gives lines or a
// reason, never an exception or a crash; lines are valid UTF-8 "- ..." lines, at most one
// per byte of the answer; deep nesting is refused, not recursed into.
#include <string>

#include "fuzz/fuzz_check.h"
#include "pipeline/context_answer.h"

using namespace xz::pipeline;

namespace {

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = xz::fuzz::as_text(data, size);
  const ContextAnswer a = parse_context_answer(body);
  FUZZ_CHECK(a.error.empty() || a.lines.empty());
  FUZZ_CHECK(a.lines.size() <= size);
  for (const auto& line : a.lines) {
    FUZZ_CHECK(line.rfind("- ", 0) == 0);
    FUZZ_CHECK(valid_utf8(line));
  }
  return 0;
}
