// Volcengine bidirectional TTS frames (providers/tts/huoshan_wire): any bytes give a
// frame or a WireError, never a crash; what parses re-encodes to the same fields.
#include <string>

#include "fuzz/fuzz_check.h"
#include "providers/tts/huoshan_wire.h"

using namespace xz::providers::huoshan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = xz::fuzz::as_text(data, size);
  Frame f;
  try {
    f = parse_frame(bytes);
  } catch (const WireError&) {
    return 0;
  }
  FUZZ_CHECK(f.id.size() <= kMaxIdBytes);
  FUZZ_CHECK(f.payload.size() <= size);
  const std::string described = describe_payload(f.payload);
  FUZZ_CHECK(!described.empty() && described.size() <= 640);
  Frame again;
  if (f.kind == FrameKind::error) {
    again = parse_frame(encode_error(f.error_code, f.payload));
    FUZZ_CHECK(again.kind == FrameKind::error && again.error_code == f.error_code);
  } else if (f.kind == FrameKind::audio && f.event == kTtsResponse) {
    again = parse_frame(encode_audio(f.id, f.payload));
    FUZZ_CHECK(again.kind == FrameKind::audio && again.event == f.event && again.id == f.id);
  } else if (f.kind == FrameKind::event && f.event != 0) {
    again = parse_frame(encode_event(f.event, f.id, f.payload));
    FUZZ_CHECK(again.event == f.event && (f.event < 50 || again.id == f.id));
  } else {
    return 0;
  }
  FUZZ_CHECK(again.payload == f.payload);
  return 0;
}
