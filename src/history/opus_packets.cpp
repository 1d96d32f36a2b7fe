#include "history/opus_packets.h"

#include <stdexcept>

namespace xz::history {

std::size_t packed_size(std::span<const std::string> packets) {
  std::size_t n = 0;
  for (const auto& p : packets) n += 2 + p.size();
  return n;
}

std::string pack_opus_packets(std::span<const std::string> packets) {
  std::string out;
  out.reserve(packed_size(packets));
  for (const auto& p : packets) {
    if (p.size() > kMaxOpusPacketBytes)
      throw std::invalid_argument("an Opus packet of " + std::to_string(p.size()) + " bytes is too large to store");
    out.push_back(static_cast<char>((p.size() >> 8) & 0xff));
    out.push_back(static_cast<char>(p.size() & 0xff));
    out.append(p);
  }
  return out;
}

std::vector<std::string> unpack_opus_packets(std::string_view data) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < data.size()) {
    if (data.size() - at < 2) throw std::runtime_error("stored audio is cut inside a packet length");
    std::size_t len = (static_cast<std::size_t>(static_cast<unsigned char>(data[at])) << 8) |
                      static_cast<unsigned char>(data[at + 1]);
    at += 2;
    if (data.size() - at < len)
      throw std::runtime_error("stored audio is cut inside a packet (" + std::to_string(len) + " bytes declared, " +
                               std::to_string(data.size() - at) + " left)");
    out.emplace_back(data.substr(at, len));
    at += len;
  }
  return out;
}

}  // namespace xz::history
