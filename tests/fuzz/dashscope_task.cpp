// DashScope duplex task messages (providers/tts/dashscope_wire): any text gives a
// message or a WireError, never a crash; a text fragment survives continue-task.
#include <string>

#include "fuzz/fuzz_check.h"
#include "providers/tts/dashscope_wire.h"

using namespace xz::providers::dashscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = xz::fuzz::as_text(data, size);
  try {
    Message m = parse_message(text);
    FUZZ_CHECK(!m.action.empty() || !m.event.empty());
  } catch (const WireError&) {
  }
  // Text the LLM wrote, whatever its bytes, goes out as valid JSON and reads back.
  const Message back = parse_message(continue_task("t", text));
  FUZZ_CHECK(back.action == "continue-task" && back.task_id == "t");
  FUZZ_CHECK(back.payload.is_object());
  return 0;
}
