// Xunfei Spark streaming recognition frames (providers/asr/xunfei_iat_wire,
// xunfei_stream): any text gives a frame or a WireError, never a crash; a client frame
// that parses re-encodes to the same audio and status.
#include <string>

#include "fuzz/fuzz_check.h"
#include "providers/asr/xunfei_iat_wire.h"

using namespace xz::providers::xunfei_iat;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = xz::fuzz::as_text(data, size);
  try {
    const ServerFrame f = parse_server_frame(text);
    FUZZ_CHECK(f.message.size() <= size && f.text.size() <= size);
    if (f.code == 0 && f.status == 2) FUZZ_CHECK(f.last);
  } catch (const WireError&) {
  }
  try {
    const ClientFrame c = parse_client_frame(text);
    FUZZ_CHECK(c.audio.size() <= size);
    Params p;
    p.app_id = c.app_id;
    const ClientFrame again = parse_client_frame(client_frame(c.status, c.audio, p));
    FUZZ_CHECK(again.audio == c.audio && again.status == c.status && again.app_id == c.app_id);
  } catch (const WireError&) {
  }
  return 0;
}
