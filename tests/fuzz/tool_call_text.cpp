// <tool_call> blocks in a model's streamed answer (providers/llm/tool_call_text). Input:
// a seed byte for the cut, then the answer. Any cut gives the same text and calls (for
// blocks under the size bound), and every call's arguments are a JSON object.
#include "fuzz/fuzz_check.h"
#include "protocol/json_text.h"
#include "providers/llm/tool_call_text.h"

using namespace xz::providers;

namespace {

struct Result {
  std::string text;
  std::vector<std::pair<std::string, std::string>> calls;  // name, arguments
  bool operator==(const Result&) const = default;
};

Result run(const std::vector<std::string_view>& parts) {
  ToolCallTextParser parser;
  Result r;
  auto take = [&r](ChatDelta d) {
    r.text += d.text;
    for (auto& c : d.tool_calls) r.calls.emplace_back(std::move(c.name), std::move(c.arguments));
  };
  for (auto part : parts) take(parser.feed(part));
  take(parser.finish());
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view answer = xz::fuzz::as_text(data + 1, size - 1);
  const Result whole = run({answer});
  for (const auto& [name, args] : whole.calls) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(xz::protocol::parse_json_text(args).is_object());
  }
  // Over 64 KiB a block is released as text when it is seen unclosed: that depends on the cut.
  if (answer.size() < 60 * 1024) FUZZ_CHECK(run(xz::fuzz::pieces(answer, data[0])) == whole);
  (void)parse_tool_call_json(answer);
  return 0;
}
