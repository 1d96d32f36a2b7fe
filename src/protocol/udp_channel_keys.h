#pragma once
// The secrets of one UDP audio channel, sent to the device in the server hello
// (device-protocol.md §4.2): a random AES-128 key and the nonce
// `01 00 0000 <ssrc:4> 00000000 00000000`, the gateway's layout. The ssrc routes uplink
// datagrams to their channel and is an off-path forger's first guess, so it is random
// (never a counter) and unique among the channels open on one endpoint.
#include <cstdint>
#include <functional>
#include <string>

namespace xz::protocol {

struct UdpChannelKeys {
  std::uint32_t ssrc = 0;
  std::string key;    // 16 bytes
  std::string nonce;  // 16 bytes
};

// 01 00 0000 <ssrc big-endian> 00000000 00000000
std::string udp_nonce(std::uint32_t ssrc);

// A fresh key and a random non-zero ssrc for which in_use(ssrc) is false. Throws
// std::runtime_error when 64 draws in a row are taken (only if nearly all 2^32 are).
UdpChannelKeys make_udp_channel_keys(const std::function<bool(std::uint32_t)>& in_use);

}  // namespace xz::protocol
