#include "audio/opus_decoder.h"

#include <opus.h>

#include <stdexcept>

#include <fmt/format.h>

namespace xz::audio {

namespace {

template <class Ptr>
::OpusDecoder* as_decoder(const Ptr& p) {
  return static_cast<::OpusDecoder*>(p.get());
}

bool valid_opus_rate(int rate) {
  return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

}  // namespace

void OpusDecoder::Free::operator()(void* state) const { opus_decoder_destroy(static_cast<::OpusDecoder*>(state)); }

OpusDecoder::OpusDecoder(int sample_rate, int channels) : sample_rate_(sample_rate), channels_(channels) {
  if (!valid_opus_rate(sample_rate))
    throw std::invalid_argument(fmt::format("opus decoder: unsupported sample rate {}", sample_rate));
  if (channels != 1 && channels != 2)
    throw std::invalid_argument(fmt::format("opus decoder: unsupported channel count {}", channels));
  int err = OPUS_OK;
  state_.reset(opus_decoder_create(sample_rate, channels, &err));
  if (err != OPUS_OK || !state_)
    throw std::runtime_error(fmt::format("opus decoder: {}", opus_strerror(err)));
}

std::optional<std::vector<std::int16_t>> OpusDecoder::decode(std::string_view packet, std::string* error) {
  auto fail = [&](int code) -> std::optional<std::vector<std::int16_t>> {
    if (error) *error = opus_strerror(code);
    return std::nullopt;
  };
  if (packet.empty()) {
    if (last_frame_samples_ == 0) return std::vector<std::int16_t>{};
    std::vector<std::int16_t> out(static_cast<std::size_t>(last_frame_samples_ * channels_));
    int n = opus_decode(as_decoder(state_), nullptr, 0, out.data(), last_frame_samples_, 0);
    if (n < 0) return fail(n);
    out.resize(static_cast<std::size_t>(n * channels_));
    return out;
  }
  // No valid packet comes near 64 KiB (48 frames of at most 1275 bytes).
  if (packet.size() > 65536) return fail(OPUS_INVALID_PACKET);
  // Size the output from the packet's own header; it also rejects most garbage early.
  auto* data = reinterpret_cast<const unsigned char*>(packet.data());
  auto len = static_cast<opus_int32>(packet.size());
  int samples = opus_decoder_get_nb_samples(as_decoder(state_), data, len);
  if (samples < 0) return fail(samples);
  if (samples > sample_rate_ * 120 / 1000) return fail(OPUS_INVALID_PACKET);
  std::vector<std::int16_t> out(static_cast<std::size_t>(samples * channels_));
  int n = opus_decode(as_decoder(state_), data, len, out.data(), samples, 0);
  if (n < 0) return fail(n);
  out.resize(static_cast<std::size_t>(n * channels_));
  last_frame_samples_ = n;
  return out;
}

void OpusDecoder::reset() {
  opus_decoder_ctl(as_decoder(state_), OPUS_RESET_STATE);
  last_frame_samples_ = 0;
}

std::optional<std::chrono::microseconds> opus_packet_duration(std::string_view packet) {
  if (packet.empty() || packet.size() > 65536) return std::nullopt;
  // At 48 kHz every frame size is a whole number of samples.
  int samples = opus_packet_get_nb_samples(reinterpret_cast<const unsigned char*>(packet.data()),
                                           static_cast<opus_int32>(packet.size()), 48000);
  if (samples <= 0 || samples > 48 * 120) return std::nullopt;
  return std::chrono::microseconds(static_cast<long long>(samples) * 1000 / 48);
}

}  // namespace xz::audio
