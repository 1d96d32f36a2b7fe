// <think> blocks removed from a streamed answer (providers/llm/think_filter). Input: a
// seed byte for the cut, then the answer. Any cut gives the same text, and an answer
// without "<think>" passes unchanged.
#include "fuzz/fuzz_check.h"
#include "providers/llm/think_filter.h"

namespace {

std::string run(const std::vector<std::string_view>& parts) {
  xz::providers::ThinkFilter filter;
  std::string out;
  for (auto part : parts) out += filter.feed(part);
  return out + filter.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view answer = xz::fuzz::as_text(data + 1, size - 1);
  const std::string whole = run({answer});
  FUZZ_CHECK(whole.size() <= answer.size());
  FUZZ_CHECK(run(xz::fuzz::pieces(answer, data[0])) == whole);
  if (answer.find("<think>") == std::string_view::npos) FUZZ_CHECK(whole == answer);
  return 0;
}
