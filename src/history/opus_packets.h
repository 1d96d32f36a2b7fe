#pragma once
// The container the chat history stores uplink audio in: Opus packets back to back,
// each as a 2-byte big-endian length followed by the packet bytes. No Ogg framing:
// the packets are exactly what the device sent (16 kHz mono), in order, and an Opus
// decoder replays them as they are.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xz::history {

// Largest packet the format holds (Opus packets are far smaller: at most 61,440 bytes
// for 120 ms, usually under 200).
inline constexpr std::size_t kMaxOpusPacketBytes = 65535;

// Throws std::invalid_argument for a packet above kMaxOpusPacketBytes.
std::string pack_opus_packets(std::span<const std::string> packets);
// Throws std::runtime_error when the data is cut in the middle of a packet.
std::vector<std::string> unpack_opus_packets(std::string_view data);
// Bytes pack_opus_packets would produce.
std::size_t packed_size(std::span<const std::string> packets);

}  // namespace xz::history
