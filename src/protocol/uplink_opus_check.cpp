#include "protocol/uplink_opus_check.h"

#include <opus.h>

namespace xz::protocol {

bool plausible_uplink_opus(std::string_view packet, std::chrono::milliseconds frame_duration) {
  if (packet.empty() || packet.size() > 65535) return false;
  const auto* data = reinterpret_cast<const unsigned char*>(packet.data());
  const auto len = static_cast<opus_int32>(packet.size());
  const unsigned toc = data[0];
  if (toc & 0x04) return false;  // stereo
  const unsigned config = toc >> 3;
  // 0-11 SILK NB/MB/WB, 12-15 hybrid (SWB/FB), 16-23 CELT NB/WB, 24-31 CELT SWB/FB.
  if (!(config <= 11 || (config >= 16 && config <= 23))) return false;
  unsigned char toc_out = 0;
  const unsigned char* frames[48];
  opus_int16 sizes[48];
  if (opus_packet_parse(data, len, &toc_out, frames, sizes, nullptr) <= 0) return false;
  return opus_packet_get_nb_samples(data, len, 48000) == 48 * frame_duration.count();
}

}  // namespace xz::protocol
