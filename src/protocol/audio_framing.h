#pragma once
// Binary WebSocket audio frames (device-protocol.md §3.4, reference-server.md §2.6).
// All header fields are big-endian.
//   v1:           the frame is one Opus packet
//   v2:           u16 version=2, u16 type=0, u32 reserved, u32 timestamp, u32 payload_size, payload
//   v3:           u8 type, u8 reserved, u16 payload_size, payload
//   mqtt_gateway: inbound  timestamp = u32 at [8:12], Opus = [16:]
//                 outbound [0]=1, [1]=0, u16 len, u32 sequence, u32 timestamp, u32 len, payload
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xz::protocol {

enum class Framing { v1, v2, v3, mqtt_gateway };

Framing framing_for_version(int protocol_version);  // 2 -> v2, 3 -> v3, anything else -> v1
std::string_view to_string(Framing f);

struct AudioPacket {
  std::string_view opus;  // a view into the frame passed to decode_audio_frame
  std::uint32_t timestamp = 0;
};

// Truncated frames and size mismatches set *error (may be null) and return std::nullopt.
// Empty Opus payloads are accepted (the device's DTX may send them).
std::optional<AudioPacket> decode_audio_frame(Framing f, std::string_view frame, std::string* error);

// Throws std::invalid_argument if the payload does not fit a 16-bit size field (v3,
// mqtt_gateway); Opus packets are at most a few kB, so this means a caller bug.
std::string encode_audio_frame(Framing f, std::string_view opus, std::uint32_t timestamp = 0,
                               std::uint32_t sequence = 0);

}  // namespace xz::protocol
