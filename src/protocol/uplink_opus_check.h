#pragma once
// Tells a device's uplink Opus packet from a forgery. AES-128-CTR has no MAC: a datagram
// with a guessed ssrc "decrypts" under the channel's key to bytes the forger cannot
// predict, i.e. random ones. The firmware encodes mono at 16 kHz with the frame duration
// its hello announced (60 ms), so a real packet is a well-formed Opus packet (RFC 6716
// §3: TOC and frame lengths consistent with the size), mono, SILK or CELT at no more than
// wideband (16 kHz cannot make super-wideband, so no hybrid), lasting exactly that long.
// Random bytes pass about 1 time in 100 (measured in the unit test), so the endpoint
// moves a device's address only after several such packets in a row.
#include <chrono>
#include <string_view>

namespace xz::protocol {

bool plausible_uplink_opus(std::string_view packet, std::chrono::milliseconds frame_duration);

}  // namespace xz::protocol
