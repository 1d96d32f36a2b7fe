#include "net/ws_frame.h"

namespace xz::net::ws {

ParsedHeader parse_frame_header(std::span<const std::uint8_t> bytes) {
  ParsedHeader r;
  if (bytes.size() < 2) return r;
  auto invalid = [&r](std::string_view why) {
    r.status = ParseStatus::invalid;
    r.error = why;
    return r;
  };
  const std::uint8_t b0 = bytes[0], b1 = bytes[1];
  if ((b0 & 0x70) != 0) return invalid("reserved bits set");
  const auto op = static_cast<Opcode>(b0 & 0x0F);
  switch (op) {
    case Opcode::continuation:
    case Opcode::text:
    case Opcode::binary:
    case Opcode::close:
    case Opcode::ping:
    case Opcode::pong:
      break;
    default:
      return invalid("unknown opcode");
  }
  FrameHeader& h = r.header;
  h.fin = (b0 & 0x80) != 0;
  h.opcode = op;
  h.masked = (b1 & 0x80) != 0;
  const std::uint8_t len7 = b1 & 0x7F;
  std::size_t pos = 2;
  if (len7 == 126) {
    if (bytes.size() < 4) return r;
    h.payload_bytes = (std::uint64_t{bytes[2]} << 8) | bytes[3];
    if (h.payload_bytes < 126) return invalid("length not minimally encoded");
    pos = 4;
  } else if (len7 == 127) {
    if (bytes.size() < 10) return r;
    h.payload_bytes = 0;
    for (std::size_t i = 2; i < 10; ++i) h.payload_bytes = (h.payload_bytes << 8) | bytes[i];
    if (h.payload_bytes >> 63) return invalid("length uses the most significant bit");
    if (h.payload_bytes <= 0xFFFF) return invalid("length not minimally encoded");
    pos = 10;
  } else {
    h.payload_bytes = len7;
  }
  if (is_control(op) && (!h.fin || h.payload_bytes > 125))
    return invalid(h.fin ? "control frame longer than 125 bytes" : "fragmented control frame");
  if (h.masked) {
    if (bytes.size() < pos + 4) return r;
    for (std::size_t i = 0; i < 4; ++i) h.mask[i] = bytes[pos + i];
    pos += 4;
  }
  h.header_bytes = pos;
  r.status = ParseStatus::ok;
  return r;
}

EncodedHeader encode_frame_header(Opcode opcode, bool fin, std::uint64_t payload_bytes, const MaskKey* mask) {
  EncodedHeader e;
  auto& b = e.bytes;
  b[0] = static_cast<std::uint8_t>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(opcode));
  const std::uint8_t mask_bit = mask ? 0x80 : 0x00;
  std::size_t pos = 2;
  if (payload_bytes < 126) {
    b[1] = static_cast<std::uint8_t>(mask_bit | payload_bytes);
  } else if (payload_bytes <= 0xFFFF) {
    b[1] = mask_bit | 126;
    b[2] = static_cast<std::uint8_t>(payload_bytes >> 8);
    b[3] = static_cast<std::uint8_t>(payload_bytes);
    pos = 4;
  } else {
    b[1] = mask_bit | 127;
    for (int i = 0; i < 8; ++i) b[2 + i] = static_cast<std::uint8_t>(payload_bytes >> (56 - 8 * i));
    pos = 10;
  }
  if (mask) {
    for (std::size_t i = 0; i < 4; ++i) b[pos + i] = (*mask)[i];
    pos += 4;
  }
  e.size = static_cast<std::uint8_t>(pos);
  return e;
}

void apply_mask(std::span<char> data, const MaskKey& key, std::uint64_t offset) {
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>(static_cast<std::uint8_t>(data[i]) ^ key[(offset + i) & 3]);
}

bool is_valid_close_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;  // registered and private use
  switch (code) {
    case 1000: case 1001: case 1002: case 1003: case 1007: case 1008:
    case 1009: case 1010: case 1011: case 1012: case 1013: case 1014:
      return true;
    default:
      return false;
  }
}

}  // namespace xz::net::ws
