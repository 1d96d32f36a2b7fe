#pragma once
// Compressed or raw audio that arrives in pieces (a TTS vendor's HTTP body or WebSocket
// frames) -> mono 16-bit PCM, decoded as the bytes come, never after the whole file.
// One decoder per stream; not thread-safe. Every decoder holds a bounded amount of
// undecoded input and validates the stream's sample rate and channel count.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace xz::audio {

// Decoded samples, mono (multi-channel streams are downmixed), at the stream's own rate
// (sample_rate is 0 while nothing has been decoded yet).
struct DecodedPcm {
  std::vector<std::int16_t> samples;
  int sample_rate = 0;
};

enum class AudioFormat {
  mp3,
  opus,  // Ogg Opus (RFC 7845)
  aac,   // ADTS frames
  flac,
  wav,
  pcm,   // raw s16le mono at the rate given to the factory
  sniff  // chosen from the first bytes: ID3/MPEG sync, OggS, ADTS sync, fLaC, RIFF/WAVE
};

// "mp3", "opus", "ogg", "aac", "flac", "wav", "pcm" (as vendors name their formats);
// std::nullopt for anything else.
std::optional<AudioFormat> audio_format_from_name(std::string_view name);
std::string_view audio_format_name(AudioFormat format);

// Malformed, truncated or unsupported audio; what() says what was wrong.
struct AudioFormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class AudioStreamDecoder {
 public:
  virtual ~AudioStreamDecoder() = default;
  // Bytes as they arrive, split anywhere; returns what could be decoded so far (possibly
  // empty). Throws AudioFormatError on malformed input, and again on every later call.
  virtual DecodedPcm push(std::span<const std::uint8_t> bytes) = 0;
  // End of input: the rest. Throws AudioFormatError on an empty stream and on one cut
  // short (inside its header, or inside a frame or page where the format can tell).
  virtual DecodedPcm finish() = 0;
};

// pcm_sample_rate: the rate of raw `pcm` streams (1000-384000); ignored otherwise.
// Throws std::invalid_argument for a bad rate.
std::unique_ptr<AudioStreamDecoder> make_audio_stream_decoder(AudioFormat format, int pcm_sample_rate = 24000);

// Convenience for the std::string_view bytes HTTP bodies come in.
inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace xz::audio
