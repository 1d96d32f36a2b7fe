#include "pipeline/pcm_encoder.h"

namespace xz::pipeline {

PcmEncoder::PcmEncoder(DownlinkFormat fmt) : fmt_(fmt) {}

audio::OpusFramer& PcmEncoder::framer() {
  if (!framer_) framer_.emplace(audio::OpusEncoder(fmt_.sample_rate, fmt_.frame_ms, fmt_.complexity, fmt_.bitrate));
  return *framer_;
}

std::vector<std::string> PcmEncoder::push(std::span<const std::int16_t> samples, int sample_rate) {
  std::vector<std::string> out;
  if (sample_rate != in_rate_) {
    // A new rate (another engine, or the first chunk): what the old one held goes first.
    if (resampler_) out = framer().push(resampler_->flush());
    in_rate_ = sample_rate;
    resampler_ = std::make_unique<audio::Resampler>(in_rate_, fmt_.sample_rate);
  }
  for (auto& f : framer().push(resampler_->process(samples))) out.push_back(std::move(f));
  return out;
}

std::vector<std::string> PcmEncoder::flush() {
  std::vector<std::string> out;
  if (!framer_) return out;  // nothing was pushed
  if (resampler_) out = framer_->push(resampler_->flush());
  if (auto last = framer_->flush()) out.push_back(std::move(*last));
  return out;
}

void PcmEncoder::reset() {
  framer_.reset();  // destroys it (std::optional)
  resampler_.reset();
  in_rate_ = 0;
}

}  // namespace xz::pipeline
