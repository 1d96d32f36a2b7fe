#pragma once
// RFC 6455 frame headers: parsing, building and masking. Pure code, no sockets, so the
// codec is tested byte by byte; net::WebSocket drives it over the socket.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace xz::net::ws {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

constexpr bool is_control(Opcode op) { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

using MaskKey = std::array<std::uint8_t, 4>;

struct FrameHeader {
  bool fin = true;
  Opcode opcode = Opcode::binary;
  bool masked = false;
  MaskKey mask{};
  std::uint64_t payload_bytes = 0;
  std::size_t header_bytes = 0;  // 2 to 14
};

enum class ParseStatus { ok, incomplete, invalid };

struct ParsedHeader {
  ParseStatus status = ParseStatus::incomplete;
  FrameHeader header;
  std::string_view error;  // why the header is invalid
};

// Reads the frame header at the start of `bytes`. Invalid: reserved bits set (no
// extension is ever negotiated), an unknown opcode, a fragmented or long (> 125 bytes)
// control frame, a length that is not minimally encoded or uses the 64th bit.
ParsedHeader parse_frame_header(std::span<const std::uint8_t> bytes);

constexpr std::size_t kMaxHeaderBytes = 14;
struct EncodedHeader {
  std::array<std::uint8_t, kMaxHeaderBytes> bytes{};
  std::uint8_t size = 0;
  std::span<const std::uint8_t> view() const { return {bytes.data(), size}; }
};

// A header for a frame of `payload_bytes`; masked when `mask` is given (client frames).
EncodedHeader encode_frame_header(Opcode opcode, bool fin, std::uint64_t payload_bytes,
                                  const MaskKey* mask = nullptr);

// XORs `data` with the key; `offset` is the position of data[0] within the frame's
// payload, so a payload can be unmasked piece by piece as it arrives.
void apply_mask(std::span<char> data, const MaskKey& key, std::uint64_t offset);

// Close codes a peer may put on the wire (RFC 6455 7.4).
bool is_valid_close_code(std::uint16_t code);

}  // namespace xz::net::ws
