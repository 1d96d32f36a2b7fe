#include "protocol/udp_channel_keys.h"

#include <stdexcept>

#include "protocol/byte_order.h"
#include "protocol/encoding.h"

namespace xz::protocol {

std::string udp_nonce(std::uint32_t ssrc) {
  std::string n;
  n.reserve(16);
  n += '\x01';
  n += '\x00';
  be::put_u16(n, 0);
  be::put_u32(n, ssrc);
  be::put_u32(n, 0);
  be::put_u32(n, 0);
  return n;
}

UdpChannelKeys make_udp_channel_keys(const std::function<bool(std::uint32_t)>& in_use) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    const std::uint32_t ssrc = be::u32(random_bytes(4), 0);
    if (ssrc == 0 || in_use(ssrc)) continue;
    return UdpChannelKeys{ssrc, random_bytes(16), udp_nonce(ssrc)};
  }
  throw std::runtime_error("udp channel: no free ssrc after 64 random draws");
}

}  // namespace xz::protocol
