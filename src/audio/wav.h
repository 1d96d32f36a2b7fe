#pragma once
// Whole WAV files in memory: parse, build, read/write files, downmix.
// 16-bit PCM only; see wav_stream_reader.h for WAV that arrives in pieces.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audio/wav_stream_reader.h"

namespace xz::audio {

struct WavAudio {
  int sample_rate = 0;
  int channels = 0;
  std::vector<std::int16_t> samples;  // interleaved
};

// Parses a complete WAV; std::nullopt and the reason in *error (if non-null) when it
// is not 16-bit PCM WAV or is cut before its data chunk. A data chunk shorter than
// declared (a streamed WAV saved to a file) yields the samples present.
std::optional<WavAudio> parse_wav(std::string_view bytes, std::string* error = nullptr);

// A canonical 44-byte-header WAV. Throws std::invalid_argument for a rate outside
// 1000-384000, channels outside 1-8, or more than 4 GiB of data.
std::string make_wav(std::span<const std::int16_t> samples, int sample_rate, int channels = 1);

// Blocking file I/O: call from the worker pool. Files over 1 GiB are refused.
std::optional<WavAudio> read_wav_file(const std::filesystem::path& path, std::string* error = nullptr);
bool write_wav_file(const std::filesystem::path& path, std::span<const std::int16_t> samples, int sample_rate,
                    int channels = 1, std::string* error = nullptr);

// Averages interleaved channels into one; a trailing partial frame is dropped.
// Throws std::invalid_argument when channels < 1.
std::vector<std::int16_t> downmix_to_mono(std::span<const std::int16_t> interleaved, int channels);

}  // namespace xz::audio
