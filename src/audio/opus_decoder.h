#pragma once
// Opus packet -> 16-bit PCM, one decoder per stream (the uplink of one device).
// Cheap (~35 us per 60 ms frame at 16 kHz), so it may run on the session's loop.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xz::audio {

class OpusDecoder {
 public:
  // sample_rate: 8000, 12000, 16000, 24000 or 48000; channels: 1 or 2.
  // Throws std::invalid_argument for anything else.
  explicit OpusDecoder(int sample_rate = 16000, int channels = 1);

  // Decodes one packet (any frame size up to 120 ms; DTX packets of 1-3 bytes give
  // silence or comfort noise). An empty packet means "this packet was lost": the
  // decoder conceals one frame of the last size (nothing before the first packet).
  // A corrupt packet gives std::nullopt and opus's reason in *error (if non-null);
  // the decoder stays usable. Output is interleaved when channels == 2.
  std::optional<std::vector<std::int16_t>> decode(std::string_view packet, std::string* error = nullptr);

  // Forgets the stream history (new utterance from a new encoder).
  void reset();

  int sample_rate() const { return sample_rate_; }
  int channels() const { return channels_; }

 private:
  // libopus's state, kept opaque: its C type shares this class's name, so the header
  // must not declare it.
  struct Free {
    void operator()(void* state) const;
  };
  std::unique_ptr<void, Free> state_;
  int sample_rate_;
  int channels_;
  int last_frame_samples_ = 0;  // per channel; 0 = no packet decoded yet
};

// The audio one packet carries, read from its header without decoding (RFC 6716 3.1):
// 2.5 to 120 ms. std::nullopt for an empty or malformed packet.
std::optional<std::chrono::microseconds> opus_packet_duration(std::string_view packet);

}  // namespace xz::audio
