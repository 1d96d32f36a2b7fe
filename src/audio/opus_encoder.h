#pragma once
// 16-bit mono PCM -> Opus packets. OpusEncoder takes exactly one frame per call;
// OpusFramer cuts a stream of arbitrary PCM chunks into frames and encodes them.
// Encoding costs ~120 us per 60 ms frame at 24 kHz (complexity 5): batches belong on
// the worker pool.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace xz::audio {

class OpusEncoder {
 public:
  // Let opus pick the bitrate (what the firmware's uplink encoder does).
  static constexpr int kBitrateAuto = -1000;

  // Mono, OPUS_APPLICATION_AUDIO, OPUS_SIGNAL_VOICE, VBR. sample_rate: an Opus rate
  // (8/12/16/24/48 kHz); frame_ms: 10, 20, 40, 60, 80, 100 or 120; complexity 0-10;
  // bitrate in bit/s (500-512000) or kBitrateAuto. Throws std::invalid_argument.
  explicit OpusEncoder(int sample_rate = 24000, int frame_ms = 60, int complexity = 5,
                       int bitrate = 24000);

  // Encodes exactly frame_samples() samples into one packet. A DTX-suppressed frame
  // comes out as a packet of 1-2 bytes. Throws std::invalid_argument on a wrong size.
  std::string encode(std::span<const std::int16_t> frame);

  // Discontinuous transmission: silence is sent as tiny packets (the device uplink).
  void set_dtx(bool on);
  // Forgets the stream history (a new stream starts).
  void reset();

  int frame_samples() const { return frame_samples_; }
  int sample_rate() const { return sample_rate_; }
  int frame_ms() const { return frame_ms_; }

 private:
  // libopus's state, kept opaque: its C type shares this class's name, so the header
  // must not declare it.
  struct Free {
    void operator()(void* state) const;
  };
  std::unique_ptr<void, Free> state_;
  int sample_rate_;
  int frame_ms_;
  int frame_samples_;
};

// Accumulates PCM of any chunk size and encodes every complete frame. At most one
// partial frame is held back, so memory stays bounded.
class OpusFramer {
 public:
  explicit OpusFramer(OpusEncoder encoder);

  // Appends pcm; returns the packets of the frames completed by it (maybe none).
  std::vector<std::string> push(std::span<const std::int16_t> pcm);
  // Encodes the held partial frame padded with silence; nullopt when nothing is held.
  std::optional<std::string> flush();
  // Drops the held samples and the encoder's history (the turn was cancelled).
  void reset();

  std::size_t pending_samples() const { return pending_.size(); }
  OpusEncoder& encoder() { return encoder_; }

 private:
  OpusEncoder encoder_;
  std::vector<std::int16_t> pending_;  // always < one frame
};

}  // namespace xz::audio
