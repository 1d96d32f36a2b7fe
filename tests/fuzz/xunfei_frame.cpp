// Xunfei streaming TTS frames (providers/tts/xunfei_wire): server and client frames from
// any text give a value or a WireError, never a crash; text survives a request.
#include <string>

#include "fuzz/fuzz_check.h"
#include "providers/tts/xunfei_wire.h"

using namespace xz::providers::xunfei;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = xz::fuzz::as_text(data, size);
  try {
    ServerFrame f = parse_server_frame(text);
    FUZZ_CHECK(f.audio.size() <= size);
  } catch (const WireError&) {
  }
  try {
    (void)parse_client_frame(text);
  } catch (const WireError&) {
  }
  TtsParams p;
  p.app_id = "a";
  const ClientFrame back = parse_client_frame(request(1, 7, text, p));
  FUZZ_CHECK(back.text == text && back.seq == 7 && back.status == 1);
  (void)check_signed_request("h", "/p", text, "d", "k", "s");
  return 0;
}
