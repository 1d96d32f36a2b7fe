#include "sim/load/vad_calibration.h"

#include <stdexcept>
#include <string>

#include "audio/opus_decoder.h"

namespace xz::sim {

boost::asio::awaitable<VadCalibration> calibrate_vad(const UplinkClip& clip, providers::VadEngine& vad,
                                                     std::size_t max_packets) {
  VadCalibration out;
  audio::OpusDecoder decoder(16000, 1);
  auto stream = vad.open();
  for (std::size_t i = 0; i < max_packets; ++i) {
    std::string error;
    auto pcm = decoder.decode(clip.at(i), &error);
    if (!pcm) throw std::runtime_error("VAD calibration: packet " + std::to_string(i) + " does not decode: " + error);
    if (pcm->empty()) continue;  // the server's listener skips these too
    auto events = co_await stream->push(std::move(*pcm));
    for (const auto& e : events) {
      if (e.kind == providers::VadEvent::Kind::speech_start && !out.start_packet) out.start_packet = i;
      if (e.kind == providers::VadEvent::Kind::speech_end && out.start_packet && !out.end_packet) out.end_packet = i;
    }
    if (out.end_packet) break;
  }
  co_return out;
}

}  // namespace xz::sim
