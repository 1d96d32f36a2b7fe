// Newline-delimited JSON streams (providers/llm/ndjson_stream, Ollama's format). Input:
// a seed byte for the cut, then the stream. Any cut gives the same lines; a line over the
// bound is an error however it arrives. Each line goes through the bounded JSON parser,
// as the engine does.
#include <stdexcept>

#include "fuzz/fuzz_check.h"
#include "protocol/json_text.h"
#include "providers/llm/ndjson_stream.h"

namespace {

constexpr std::size_t kMaxLine = 1024;

std::optional<std::vector<std::string>> run(const std::vector<std::string_view>& parts) {
  xz::providers::NdjsonLines lines(kMaxLine);
  std::vector<std::string> all;
  try {
    for (auto part : parts)
      for (auto& l : lines.feed(part)) all.push_back(std::move(l));
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
  if (auto last = lines.finish(); !last.empty()) all.push_back(std::move(last));
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view stream = xz::fuzz::as_text(data + 1, size - 1);
  const auto whole = run({stream});
  const auto cut = run(xz::fuzz::pieces(stream, data[0]));
  FUZZ_CHECK(whole.has_value() == cut.has_value());
  if (!whole) return 0;
  FUZZ_CHECK(*whole == *cut);
  for (const auto& line : *whole) {
    FUZZ_CHECK(!line.empty() && line.size() <= kMaxLine && line.find('\n') == std::string::npos);
    (void)xz::protocol::parse_json_text(line);
  }
  return 0;
}
