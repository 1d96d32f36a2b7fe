#include "protocol/udp_packet.h"

#include <stdexcept>

#include "protocol/byte_order.h"
#include "protocol/cipher.h"

namespace xz::protocol {
namespace {

UdpHeader decode_header(std::string_view b) {
  UdpHeader h;
  h.type = std::uint8_t(b[0]);
  h.flags = std::uint8_t(b[1]);
  h.payload_len = be::u16(b, 2);
  h.ssrc = be::u32(b, 4);
  h.timestamp = be::u32(b, 8);
  h.sequence = be::u32(b, 12);
  return h;
}

void set_error(std::string* error, std::string text) {
  if (error) *error = std::move(text);
}

}  // namespace

std::string encode_udp_header(const UdpHeader& h) {
  std::string out;
  out.reserve(kUdpHeaderSize);
  out += char(h.type);
  out += char(h.flags);
  be::put_u16(out, h.payload_len);
  be::put_u32(out, h.ssrc);
  be::put_u32(out, h.timestamp);
  be::put_u32(out, h.sequence);
  return out;
}

std::string encrypt_udp_packet(std::string_view key16, const UdpHeader& h, std::string_view opus) {
  if (key16.size() != 16) throw std::invalid_argument("udp packet: key must be 16 bytes");
  if (opus.size() > 0xFFFF) throw std::invalid_argument("udp packet: Opus payload over 65535 bytes");
  UdpHeader header = h;
  header.payload_len = std::uint16_t(opus.size());
  std::string out = encode_udp_header(header);
  out += aes_128_ctr(key16, out, opus);
  return out;
}

std::optional<UdpPacket> decrypt_udp_packet(std::string_view key16, std::string_view datagram,
                                            std::string* error) {
  if (key16.size() != 16) {
    set_error(error, "udp packet: key must be 16 bytes");
    return std::nullopt;
  }
  if (datagram.size() < kUdpHeaderSize) {
    set_error(error, "udp packet: " + std::to_string(datagram.size()) +
                         " bytes, shorter than the 16-byte header");
    return std::nullopt;
  }
  UdpPacket p;
  p.header = decode_header(datagram);
  if (p.header.type != 1) {
    set_error(error, "udp packet: type " + std::to_string(p.header.type) + ", expected 1");
    return std::nullopt;
  }
  const std::size_t body = datagram.size() - kUdpHeaderSize;
  if (p.header.payload_len != body) {
    set_error(error, "udp packet: payload_len " + std::to_string(p.header.payload_len) +
                         " but " + std::to_string(body) + " bytes follow the header");
    return std::nullopt;
  }
  p.opus = aes_128_ctr(key16, datagram.substr(0, kUdpHeaderSize), datagram.substr(kUdpHeaderSize));
  return p;
}

UdpHeader header_from_nonce(std::string_view nonce16) {
  if (nonce16.size() != 16) throw std::invalid_argument("udp nonce must be 16 bytes");
  return decode_header(nonce16);
}

}  // namespace xz::protocol
