#pragma once
// Big-endian (network order) field access for the binary headers.
#include <cstdint>
#include <string>
#include <string_view>

namespace xz::protocol::be {

inline std::uint16_t u16(std::string_view s, std::size_t at) {
  return std::uint16_t((std::uint8_t(s[at]) << 8) | std::uint8_t(s[at + 1]));
}
inline std::uint32_t u32(std::string_view s, std::size_t at) {
  return (std::uint32_t(std::uint8_t(s[at])) << 24) | (std::uint32_t(std::uint8_t(s[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(s[at + 2])) << 8) | std::uint32_t(std::uint8_t(s[at + 3]));
}
inline void put_u16(std::string& out, std::uint16_t v) {
  out += char(v >> 8);
  out += char(v & 0xFF);
}
inline void put_u32(std::string& out, std::uint32_t v) {
  out += char(v >> 24);
  out += char((v >> 16) & 0xFF);
  out += char((v >> 8) & 0xFF);
  out += char(v & 0xFF);
}

}  // namespace xz::protocol::be
