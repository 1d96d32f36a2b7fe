// Binary audio frames from a device (protocol/audio_framing): v1, v2, v3 and the MQTT
// gateway's. What decodes re-encodes to a frame that decodes to the same packet.
#include "fuzz/fuzz_check.h"
#include "protocol/audio_framing.h"

using namespace xz::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view frame = xz::fuzz::as_text(data, size);
  for (Framing f : {Framing::v1, Framing::v2, Framing::v3, Framing::mqtt_gateway}) {
    std::string error;
    const auto packet = decode_audio_frame(f, frame, &error);
    if (!packet) {
      FUZZ_CHECK(!error.empty());
      continue;
    }
    FUZZ_CHECK(packet->opus.data() >= frame.data() &&
               packet->opus.data() + packet->opus.size() <= frame.data() + frame.size());
    // v3 and the gateway's outbound header carry a 16-bit size: larger is a caller bug there.
    if ((f == Framing::v3 || f == Framing::mqtt_gateway) && packet->opus.size() > 0xFFFF) continue;
    const std::string again = encode_audio_frame(f, packet->opus, packet->timestamp, 7);
    const auto back = decode_audio_frame(f, again, nullptr);
    FUZZ_CHECK(back && back->opus == packet->opus);
    if (f == Framing::v2 || f == Framing::mqtt_gateway) FUZZ_CHECK(back->timestamp == packet->timestamp);
  }
  return 0;
}
