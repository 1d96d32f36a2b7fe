#pragma once
// TTS PCM at any rate -> Opus frames at the downlink rate and frame length. Holds a
// resampler per input rate and one encoder, so it belongs to one stream (a session, or
// one cache entry). Costs ~0.1 ms per 60 ms frame: call it from the worker pool.
// The Opus encoder (~46 KiB at 24 kHz) exists only from the first chunk to reset(), so
// a session that is not speaking holds none.
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "audio/opus_encoder.h"
#include "audio/resampler.h"
#include "providers/tts/tts.h"

namespace xz::pipeline {

struct DownlinkFormat {
  int sample_rate = 24000;
  int frame_ms = 60;
  int complexity = 5;
  int bitrate = 24000;
};

class PcmEncoder {
 public:
  explicit PcmEncoder(DownlinkFormat fmt);
  // Frames completed by this chunk (maybe none).
  std::vector<std::string> push(std::span<const std::int16_t> samples, int sample_rate);
  std::vector<std::string> push(const providers::PcmChunk& chunk) { return push(chunk.samples, chunk.sample_rate); }
  // The rest, padded with silence to a whole frame (end of a sentence).
  std::vector<std::string> flush();
  // Forgets the stream and frees the encoder.
  void reset();
  const DownlinkFormat& format() const { return fmt_; }

 private:
  audio::OpusFramer& framer();

  DownlinkFormat fmt_;
  std::optional<audio::OpusFramer> framer_;
  int in_rate_ = 0;
  std::unique_ptr<audio::Resampler> resampler_;
};

}  // namespace xz::pipeline
