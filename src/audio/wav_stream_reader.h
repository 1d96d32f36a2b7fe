#pragma once
// Incremental WAV parser for audio that arrives in pieces (a child process's stdout,
// an HTTP body): feed bytes as they come, get the format once the header is complete
// and the PCM samples after it. Accepts 16-bit PCM only (WAVE_FORMAT_PCM or
// EXTENSIBLE with the PCM subformat) and skips chunks it does not know.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xz::audio {

struct WavFormat {
  int sample_rate = 0;
  int channels = 0;
};

// A malformed or unsupported WAV header; the message says what is wrong.
struct WavError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class WavStreamReader {
 public:
  // Bytes allowed before the data chunk (header + skipped chunks).
  static constexpr std::size_t kMaxHeaderBytes = 1 << 20;

  // Consumes `bytes`; returns the samples they complete (interleaved, whole frames
  // only; a split frame waits for its remaining bytes). Throws WavError on a bad
  // header, and again on every later call. Bytes after the data chunk are ignored.
  // A data size of 0 or 0xFFFFFFFF (what streaming writers put there) means "until
  // the end of the stream"; so does a size larger than what arrives.
  std::vector<std::int16_t> feed(std::string_view bytes);

  bool header_complete() const { return format_.has_value(); }
  // Set once the header up to the data chunk has been read.
  const std::optional<WavFormat>& format() const { return format_; }
  // True when the declared data size has been read completely.
  bool data_complete() const { return state_ == State::kDone; }
  // Why the stream is not a usable WAV if it ended now ("" when it is).
  std::string incomplete_reason() const;

 private:
  enum class State { kRiff, kChunkHeader, kFmt, kSkip, kData, kDone, kFailed };

  void parse_piece();
  void parse_riff();
  void parse_chunk_header();
  void parse_fmt();
  void decode_data(std::string_view& bytes, std::vector<std::int16_t>& out);
  [[noreturn]] void fail(std::string message);

  State state_ = State::kRiff;
  std::string piece_;            // header bytes collected for the current state
  std::size_t need_ = 12;        // bytes the current header piece needs
  std::uint64_t skip_left_ = 0;  // bytes of an unknown chunk still to skip
  std::uint64_t header_bytes_ = 0;
  std::optional<std::uint64_t> data_left_;  // nullopt = until end of stream
  std::optional<WavFormat> fmt_chunk_;      // seen before the data chunk
  std::optional<WavFormat> format_;
  std::string partial_;  // bytes of an incomplete sample frame
  std::string error_;
};

}  // namespace xz::audio
