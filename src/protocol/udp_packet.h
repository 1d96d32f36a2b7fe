#pragma once
// MQTT+UDP audio datagrams (device-protocol.md §4.3): a 16-byte clear header that is
// also the AES-128-CTR initial counter block, then the encrypted Opus packet.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xz::protocol {

struct UdpHeader {
  std::uint8_t type = 1, flags = 0;
  std::uint16_t payload_len = 0;
  std::uint32_t ssrc = 0, timestamp = 0, sequence = 0;
};

inline constexpr std::size_t kUdpHeaderSize = 16;

// payload_len is taken from opus.size(), whatever h.payload_len says. Throws
// std::invalid_argument for a key that is not 16 bytes or Opus longer than 65535 bytes.
std::string encrypt_udp_packet(std::string_view key16, const UdpHeader& h, std::string_view opus);

struct UdpPacket {
  UdpHeader header;
  std::string opus;
};

// Checks size >= 16, type == 1, 16 + payload_len == size; error text in *error (may be null).
// Sequence ordering is the caller's job (it needs per-session state).
std::optional<UdpPacket> decrypt_udp_packet(std::string_view key16, std::string_view datagram,
                                            std::string* error);

// The server nonce -> header template (every field read from the 16 bytes). Throws
// std::invalid_argument if nonce16 is not 16 bytes.
UdpHeader header_from_nonce(std::string_view nonce16);
// The 16 header bytes as sent (payload_len as given).
std::string encode_udp_header(const UdpHeader& h);

}  // namespace xz::protocol
