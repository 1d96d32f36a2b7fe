// Edge's read-aloud frames (providers/tts/edge_wire): any text or binary frame from the
// service parses to a path / audio or an EdgeProtocolError, never another exception or a
// crash; the audio view stays inside the frame, and an end-of-stream frame has no audio.
// The SSML text pieces of any text stay within the limit and never cut an entity.
#include <stdexcept>
#include <string>

#include "fuzz/fuzz_check.h"
#include "providers/tts/edge_wire.h"

namespace edge = xz::providers::edge;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view frame = xz::fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      try {
        (void)edge::parse_text_frame(frame);
      } catch (const edge::EdgeProtocolError&) {
      }
      break;
    case 1:
      try {
        const auto a = edge::parse_audio_frame(frame);
        FUZZ_CHECK(a.audio.empty() || (a.audio.data() >= frame.data() &&
                                       a.audio.data() + a.audio.size() == frame.data() + frame.size()));
        FUZZ_CHECK(!a.end_of_stream || a.audio.empty());
      } catch (const edge::EdgeProtocolError&) {
      }
      break;
    case 2:
      (void)edge::parse_http_date(frame);
      (void)edge::long_voice_name(frame);
      break;
    default: {
      const std::size_t limit = 8 + data[0] / 4;
      for (const auto& piece : edge::ssml_text_chunks(frame, limit)) {
        FUZZ_CHECK(!piece.empty() && piece.size() <= limit);
        for (auto amp = piece.find('&'); amp != std::string::npos; amp = piece.find('&', amp + 1))
          FUZZ_CHECK(piece.find(';', amp) != std::string::npos);
        FUZZ_CHECK(piece.find('<') == std::string::npos && piece.find('>') == std::string::npos);
      }
    }
  }
  return 0;
}
