// Lines from a stdio MCP server's stdout and stderr (tools/mcp/line_splitter). Input: a
// seed byte for the cut, then the stream. Both overflow modes: any cut gives the same
// lines and the same count of over-long ones, and no line passes the bound.
#include "fuzz/fuzz_check.h"
#include "tools/mcp/line_splitter.h"

using xz::tools::mcp::LineSplitter;

namespace {

constexpr std::size_t kMaxLine = 256;

std::pair<std::vector<std::string>, std::size_t> run(const std::vector<std::string_view>& parts,
                                                     LineSplitter::Overflow mode) {
  LineSplitter lines(kMaxLine, mode);
  std::vector<std::string> all;
  for (auto part : parts)
    for (auto& l : lines.feed(part)) all.push_back(std::move(l));
  if (auto rest = lines.finish(); !rest.empty()) all.push_back(std::move(rest));
  return {all, lines.overlong_lines()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view stream = xz::fuzz::as_text(data + 1, size - 1);
  for (auto mode : {LineSplitter::Overflow::drop, LineSplitter::Overflow::truncate}) {
    const auto whole = run({stream}, mode);
    const auto cut = run(xz::fuzz::pieces(stream, data[0]), mode);
    FUZZ_CHECK(whole == cut);
    for (const auto& line : whole.first) FUZZ_CHECK(line.size() <= kMaxLine && line.find('\n') == std::string::npos);
  }
  return 0;
}
