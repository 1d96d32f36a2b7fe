// Server-Sent Events (net/sse_parser): LLM, engine and MCP streams. Input: a seed byte
// for where the pieces are cut, then the stream. Any cut gives the same events; an event
// over the bound is an error however it arrives.
#include <stdexcept>

#include "fuzz/fuzz_check.h"
#include "net/sse_parser.h"

using xz::net::SseEvent;
using xz::net::SseParser;

namespace {

constexpr std::size_t kMaxEvent = 1024;

// The events of `parts` fed in order; nullopt when the parser refused the stream.
std::optional<std::vector<SseEvent>> run(const std::vector<std::string_view>& parts) {
  SseParser parser(kMaxEvent);
  std::vector<SseEvent> all;
  try {
    for (auto part : parts)
      for (auto& ev : parser.feed(part)) all.push_back(std::move(ev));
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
  return all;
}

bool same(const SseEvent& a, const SseEvent& b) {
  return a.event == b.event && a.data == b.data && a.id == b.id && a.retry == b.retry;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view stream = xz::fuzz::as_text(data + 1, size - 1);
  const auto whole = run({stream});
  const auto cut = run(xz::fuzz::pieces(stream, data[0]));
  FUZZ_CHECK(whole.has_value() == cut.has_value());
  if (!whole) return 0;
  FUZZ_CHECK(whole->size() == cut->size());
  for (std::size_t i = 0; i < whole->size(); ++i) {
    FUZZ_CHECK(same((*whole)[i], (*cut)[i]));
    FUZZ_CHECK((*whole)[i].data.size() <= kMaxEvent && !(*whole)[i].event.empty());
  }
  return 0;
}
