#include "audio/opus_encoder.h"

#include <opus.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include <fmt/format.h>

namespace xz::audio {

namespace {

template <class Ptr>
::OpusEncoder* as_encoder(const Ptr& p) {
  return static_cast<::OpusEncoder*>(p.get());
}

bool valid_opus_rate(int rate) {
  return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

bool valid_frame_ms(int ms) {
  return ms == 10 || ms == 20 || ms == 40 || ms == 60 || ms == 80 || ms == 100 || ms == 120;
}

void check_ctl(int rc, const char* what) {
  if (rc != OPUS_OK) throw std::runtime_error(fmt::format("opus encoder: {}: {}", what, opus_strerror(rc)));
}

}  // namespace

void OpusEncoder::Free::operator()(void* state) const { opus_encoder_destroy(static_cast<::OpusEncoder*>(state)); }

OpusEncoder::OpusEncoder(int sample_rate, int frame_ms, int complexity, int bitrate)
    : sample_rate_(sample_rate), frame_ms_(frame_ms), frame_samples_(sample_rate / 1000 * frame_ms) {
  if (!valid_opus_rate(sample_rate))
    throw std::invalid_argument(fmt::format("opus encoder: unsupported sample rate {}", sample_rate));
  if (!valid_frame_ms(frame_ms))
    throw std::invalid_argument(fmt::format("opus encoder: unsupported frame length {} ms", frame_ms));
  if (complexity < 0 || complexity > 10)
    throw std::invalid_argument(fmt::format("opus encoder: complexity {} is outside 0-10", complexity));
  if (bitrate != kBitrateAuto && (bitrate < 500 || bitrate > 512000))
    throw std::invalid_argument(fmt::format("opus encoder: bitrate {} is outside 500-512000", bitrate));
  int err = OPUS_OK;
  state_.reset(opus_encoder_create(sample_rate, 1, OPUS_APPLICATION_AUDIO, &err));
  if (err != OPUS_OK || !state_) throw std::runtime_error(fmt::format("opus encoder: {}", opus_strerror(err)));
  check_ctl(opus_encoder_ctl(as_encoder(state_), OPUS_SET_COMPLEXITY(complexity)), "complexity");
  check_ctl(opus_encoder_ctl(as_encoder(state_), OPUS_SET_BITRATE(bitrate)), "bitrate");
  check_ctl(opus_encoder_ctl(as_encoder(state_), OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)), "signal");
  check_ctl(opus_encoder_ctl(as_encoder(state_), OPUS_SET_VBR(1)), "vbr");
}

std::string OpusEncoder::encode(std::span<const std::int16_t> frame) {
  if (frame.size() != static_cast<std::size_t>(frame_samples_))
    throw std::invalid_argument(
        fmt::format("opus encoder: got {} samples, a frame is {}", frame.size(), frame_samples_));
  // 4000 bytes is libopus's recommended ceiling for one packet.
  std::array<unsigned char, 4000> buf;
  opus_int32 n = opus_encode(as_encoder(state_), frame.data(), frame_samples_, buf.data(), buf.size());
  if (n < 0) throw std::runtime_error(fmt::format("opus encoder: {}", opus_strerror(n)));
  return std::string(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(n));
}

void OpusEncoder::set_dtx(bool on) { check_ctl(opus_encoder_ctl(as_encoder(state_), OPUS_SET_DTX(on ? 1 : 0)), "dtx"); }

void OpusEncoder::reset() { check_ctl(opus_encoder_ctl(as_encoder(state_), OPUS_RESET_STATE), "reset"); }

OpusFramer::OpusFramer(OpusEncoder encoder) : encoder_(std::move(encoder)) {
  pending_.reserve(static_cast<std::size_t>(encoder_.frame_samples()));
}

std::vector<std::string> OpusFramer::push(std::span<const std::int16_t> pcm) {
  const auto frame = static_cast<std::size_t>(encoder_.frame_samples());
  std::vector<std::string> packets;
  if (!pending_.empty()) {
    std::size_t take = std::min(frame - pending_.size(), pcm.size());
    pending_.insert(pending_.end(), pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(take));
    pcm = pcm.subspan(take);
    if (pending_.size() < frame) return packets;
    packets.push_back(encoder_.encode(pending_));
    pending_.clear();
  }
  packets.reserve(packets.size() + pcm.size() / frame);
  while (pcm.size() >= frame) {
    packets.push_back(encoder_.encode(pcm.first(frame)));
    pcm = pcm.subspan(frame);
  }
  pending_.assign(pcm.begin(), pcm.end());
  return packets;
}

std::optional<std::string> OpusFramer::flush() {
  if (pending_.empty()) return std::nullopt;
  pending_.resize(static_cast<std::size_t>(encoder_.frame_samples()), 0);
  auto packet = encoder_.encode(pending_);
  pending_.clear();
  return packet;
}

void OpusFramer::reset() {
  pending_.clear();
  encoder_.reset();
}

}  // namespace xz::audio
