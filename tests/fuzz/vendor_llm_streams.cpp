// The streams of the reference's vendor engines (FastGPT, DashScope applications, Coze)
// and the mem0 answers: any bytes, cut anywhere, give events whose parsing yields text
// or a std::runtime_error (never another exception, e.g. a JSON type error, and never a
// crash); error-body readers and the mem0 memory text never throw and stay bounded.
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_check.h"
#include "memory/mem0_wire.h"
#include "net/sse_parser.h"
#include "providers/llm/alibl_llm.h"
#include "providers/llm/coze_llm.h"
#include "providers/llm/fastgpt_llm.h"

namespace {

template <class Fn>
void parses_or_refuses(Fn fn) {
  try {
    fn();
  } catch (const std::runtime_error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = xz::fuzz::as_text(data, size);
  xz::net::SseParser sse(64 * 1024);
  try {
    for (auto piece : xz::fuzz::pieces(text, static_cast<unsigned>(size))) {
      for (const auto& ev : sse.feed(piece)) {
        FUZZ_CHECK(ev.data.size() <= 64 * 1024);
        parses_or_refuses([&] { xz::providers::parse_fastgpt_event(ev.event, ev.data); });
        parses_or_refuses([&] { xz::providers::parse_dashscope_event(ev.event, ev.data); });
        parses_or_refuses([&] {
          auto e = xz::providers::parse_coze_event(ev.event, ev.data);
          FUZZ_CHECK(e.text.size() <= ev.data.size());
        });
      }
    }
  } catch (const std::runtime_error&) {  // an event above the parser's bound
  }
  (void)xz::providers::dashscope_error_message(text);
  (void)xz::providers::coze_refusal(text);
  (void)xz::memory::mem0_error_message(text);
  auto answer = nlohmann::json::parse(text, nullptr, false);
  const std::string memories = xz::memory::mem0_memory_text(answer);
  FUZZ_CHECK(memories.size() <= xz::memory::kMem0MaxMemoryBytes);
  return 0;
}
