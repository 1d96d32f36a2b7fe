// The bounded parser every JSON text from outside goes through (protocol/json_text).
// Whatever it accepts is within the depth bound, serialises, and parses back to itself;
// whatever it refuses has a reason.
#include "fuzz/fuzz_check.h"
#include "protocol/json_text.h"

using namespace xz::protocol;

namespace {

int depth(const nlohmann::json& j) {
  if (!j.is_structured()) return 0;
  int deepest = 0;
  for (const auto& v : j) deepest = std::max(deepest, depth(v));
  return deepest + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = xz::fuzz::as_text(data, size);
  const auto j = parse_json_text(text);
  if (j.is_discarded()) {
    FUZZ_CHECK(!json_text_fault(text).empty());
    return 0;
  }
  FUZZ_CHECK(json_text_fault(text).empty());
  FUZZ_CHECK(depth(j) <= kMaxJsonDepth);
  const std::string dumped = j.dump();  // strict: the parser only accepts valid UTF-8
  FUZZ_CHECK(parse_json_text(dumped) == j);
  FUZZ_CHECK(!parse_ordered_json_text(text).is_discarded());
  return 0;
}
