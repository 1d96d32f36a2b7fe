// Volcengine sauc v3 ASR frames (providers/asr/sauc_wire, doubao_stream): any bytes give
// a frame or a WireError, never a crash; a payload is read as a result or refused; what
// parses re-encodes to the same fields.
#include <string>

#include "fuzz/fuzz_check.h"
#include "providers/asr/sauc_wire.h"

using namespace xz::providers::sauc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = xz::fuzz::as_text(data, size);
  Frame f;
  try {
    f = parse_frame(bytes);
  } catch (const WireError&) {
    return 0;
  }
  FUZZ_CHECK(f.payload.size() <= kMaxPayloadBytes);
  FUZZ_CHECK(f.compression == 1 || f.payload.size() <= size);
  try {
    const Result r = parse_result(f.payload);
    FUZZ_CHECK(r.text.size() <= f.payload.size());
    for (const auto& u : r.utterances) FUZZ_CHECK(u.text.size() <= f.payload.size());
  } catch (const WireError&) {
  }
  Frame again;
  if (f.type == kErrorResponse) {
    again = parse_frame(encode_error(f.error_code, f.payload));
    FUZZ_CHECK(again.error_code == f.error_code);
  } else if (f.type == kFullServerResponse && f.sequence) {
    again = parse_frame(encode_response(*f.sequence, f.payload, f.last()));
    FUZZ_CHECK(again.sequence == f.sequence && again.last() == f.last());
  } else if (f.type == kAudioOnlyRequest) {
    again = parse_frame(encode_audio(f.payload, f.last()));
    FUZZ_CHECK(again.last() == f.last());
  } else {
    return 0;
  }
  FUZZ_CHECK(again.payload == f.payload);
  return 0;
}
