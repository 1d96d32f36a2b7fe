#pragma once
// Music files -> 16-bit mono PCM at a chosen rate, pulled chunk by chunk.
//
// MP3, WAV, FLAC, Ogg Vorbis and whatever else the installed sox reads are decoded by
// a `sox` child process (core::ChildProcess) whose stdout is read asynchronously. Ogg
// Opus, which Debian's sox cannot read, is demuxed and decoded in-process with libopus.
// Spawning, file reads and Opus decoding run on the worker pool; the child's exit is
// awaited on a pidfd; the loop only moves bytes.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

namespace xz::audio {

struct AudioFileDecoderOptions {
  int sample_rate = 16000;        // output rate, 8000-48000
  std::size_t chunk_samples = 0;  // samples per chunk (the last may be shorter); 0 = 100 ms
  std::string sox_program = "sox";
};

class AudioFileDecoder {
 public:
  struct Source;  // one per kind of file (sox child, Ogg Opus)

  // Starts decoding. Throws std::invalid_argument for bad options and
  // std::runtime_error (naming the file) when it does not exist, cannot be read,
  // is a broken Ogg Opus file, or sox cannot be started.
  static boost::asio::awaitable<std::unique_ptr<AudioFileDecoder>> open(std::filesystem::path path,
                                                                       boost::asio::thread_pool& pool,
                                                                       AudioFileDecoderOptions opts = {});

  explicit AudioFileDecoder(std::unique_ptr<Source> source);
  // Kills a sox child that still runs; it is reaped off the loop (no zombie).
  ~AudioFileDecoder();
  AudioFileDecoder(const AudioFileDecoder&) = delete;
  AudioFileDecoder& operator=(const AudioFileDecoder&) = delete;

  // The next chunk; empty once the file is done or close() was called. Await it on the
  // executor open() ran on, one call at a time. Throws std::runtime_error when
  // decoding fails (with sox's message). When the awaiting coroutine is cancelled the
  // decoder closes and the cancellation error propagates.
  boost::asio::awaitable<std::vector<std::int16_t>> next();

  // Stops decoding at once: a sox child is killed. Later next() calls return empty.
  void close();

  int sample_rate() const;
  // The sox child's pid while it has not been reaped, else -1 (for tests).
  int child_pid() const;

 private:
  std::unique_ptr<Source> source_;
};

}  // namespace xz::audio
