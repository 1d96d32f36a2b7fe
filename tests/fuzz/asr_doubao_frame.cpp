// Volcengine v2 ASR frames (providers/asr/doubao_v2_wire): any bytes give a frame or a
// WireError, never a crash; inflating is bounded; what parses re-encodes to the same
// fields, and a payload's answer parses or is refused cleanly.
#include <string>

#include "fuzz/fuzz_check.h"
#include "providers/asr/doubao_v2_wire.h"

using namespace xz::providers::doubao_v2;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = xz::fuzz::as_text(data, size);
  Frame f;
  try {
    f = parse_frame(bytes, 1 << 16);
  } catch (const WireError&) {
    return 0;
  }
  FUZZ_CHECK(f.payload.size() <= (1u << 16));
  Frame again;
  if (f.type == kError) {
    again = parse_frame(encode_error(f.error_code, f.payload));
    FUZZ_CHECK(again.type == kError && again.error_code == f.error_code);
  } else if (f.type == kAudioOnly) {
    again = parse_frame(encode_audio(f.payload, (f.flags & 2) != 0));
    FUZZ_CHECK(again.type == kAudioOnly && (again.flags & 2) == (f.flags & 2));
  } else if (f.type == kFullResponse) {
    again = parse_frame(encode_response(f.payload));
    FUZZ_CHECK(again.type == kFullResponse);
  } else {
    return 0;
  }
  FUZZ_CHECK(again.payload == f.payload);
  try {
    const Answer a = parse_answer(f.payload);
    FUZZ_CHECK(a.text.size() <= f.payload.size() && a.message.size() <= f.payload.size());
  } catch (const WireError&) {
  }
  return 0;
}
