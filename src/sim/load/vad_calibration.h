#pragma once
// Where the server's VAD will decide, packet by packet. The server resets its VAD on
// `listen start` and feeds it each uplink packet as it arrives, so running the same
// engine (same model, same settings) over the same packets tells at which packet it
// will report speech start and speech end. The load generator then measures the reply
// from the moment that packet was sent: what remains is the server's own time.
#include <cstddef>
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "providers/vad/vad.h"
#include "sim/load/uplink_clip.h"

namespace xz::sim {

struct VadCalibration {
  std::optional<std::size_t> start_packet;  // the packet whose arrival gives speech_start
  std::optional<std::size_t> end_packet;    // the packet whose arrival gives speech_end
};

// Decodes the clip's packets (16 kHz, one decoder, as the server's listener) and pushes
// them one by one into a fresh stream of `vad`, up to `max_packets` or speech end.
boost::asio::awaitable<VadCalibration> calibrate_vad(const UplinkClip& clip, providers::VadEngine& vad,
                                                     std::size_t max_packets);

}  // namespace xz::sim
