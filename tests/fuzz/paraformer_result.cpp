// DashScope Paraformer real-time events (providers/asr/paraformer_wire over
// tts/dashscope_wire, aliyunbl_stream): any text gives an event or a WireError, and any
// payload a sentence or none, never a crash; a sentence re-encodes to the same text.
#include <string>

#include "fuzz/fuzz_check.h"
#include "providers/asr/paraformer_wire.h"
#include "providers/tts/dashscope_wire.h"

using namespace xz::providers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dashscope::Message m;
  try {
    m = dashscope::parse_message(xz::fuzz::as_text(data, size));
  } catch (const dashscope::WireError&) {
    return 0;
  }
  auto s = paraformer::sentence_of(m.payload);
  if (!s) return 0;
  FUZZ_CHECK(s->text.size() <= size);
  auto again = paraformer::sentence_of(paraformer::result_payload(s->text, s->final, 0, 1));
  FUZZ_CHECK(again && again->text == s->text && again->final == s->final && !again->heartbeat);
  return 0;
}
