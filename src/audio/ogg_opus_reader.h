#pragma once
// Ogg Opus (RFC 7845) decoded in-process, from any byte stream: Ogg pages (RFC 3533)
// found by their checksum, packets reassembled across pages, the OpusHead read, the audio
// decoded with libopus and resampled. No file I/O here: the caller opens the stream
// (AudioFileDecoder, on the worker pool); the fuzz target reads from memory.
#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audio/opus_decoder.h"
#include "audio/resampler.h"

namespace xz::audio {

struct OggPage {
  std::uint8_t flags = 0;  // 1 = continues a packet, 2 = first page, 4 = last page
  std::int64_t granule = -1;
  std::uint32_t serial = 0;
  std::string_view lacing;
  std::string_view body;
};

// The Ogg pages of a stream, read in blocks; damaged bytes are skipped up to the next
// page whose checksum holds.
class OggPageReader {
 public:
  explicit OggPageReader(std::istream& in) : in_(in) {}
  // The next page, valid until the next call; std::nullopt at the end of the stream.
  std::optional<OggPage> next();

 private:
  bool fill();

  std::istream& in_;
  std::string buf_;  // < one page (64 KiB) + one block
  std::size_t used_ = 0;
};

struct OpusHead {
  int channels = 0;
  int pre_skip = 0;  // 48 kHz samples
  double gain = 1.0;
};

// The OpusHead packet; throws std::runtime_error naming `name` when it is not one we
// can decode (1-2 channels, mapping family 0 or 1).
OpusHead parse_opus_head(std::string_view packet, const std::string& name);

// Enough of a file's start to tell whether it is Ogg Opus.
inline constexpr std::size_t kOggOpusSniffBytes = 27 + 255 + 8;
// True when `head` starts with an Ogg page whose first packet begins "OpusHead".
bool starts_ogg_opus(std::string_view head);

// The decoding state of one Ogg Opus stream; not thread-safe (one pool job at a time).
class OggOpusStream {
 public:
  // Reads up to the OpusHead; throws std::runtime_error naming `name` when the stream is
  // not Ogg Opus we can decode. rate: the output rate (1000-384000); chunk: samples per
  // next_chunk() (> 0).
  OggOpusStream(std::unique_ptr<std::istream> in, std::string name, int rate, std::size_t chunk);

  // Blocking: reads and decodes pages until a chunk is ready. Empty at the end. Throws
  // std::runtime_error for a packet larger than 1 MiB.
  std::vector<std::int16_t> next_chunk();

 private:
  static bool is_opus_rate(int r) { return r == 8000 || r == 12000 || r == 16000 || r == 24000 || r == 48000; }
  void consume(const OggPage& page);
  void on_packet(std::vector<std::int16_t>& decoded);
  void deliver(std::vector<std::int16_t>& pcm);
  void finish();

  std::string name_;
  std::unique_ptr<std::istream> in_;
  OggPageReader pages_;
  int decode_rate_;
  std::size_t chunk_;
  OpusDecoder decoder_;
  std::optional<Resampler> resampler_;
  std::optional<OpusHead> head_;
  std::uint32_t serial_ = 0;
  std::string packet_;      // the packet being assembled
  bool in_packet_ = false;  // a packet goes on onto the next page
  bool dropping_ = false;
  std::size_t packet_index_ = 0;
  std::size_t skip_left_ = 0;
  std::uint64_t decoded_ = 0;  // samples at decode_rate_, pre-skip included
  std::vector<std::int16_t> out_;
  bool finished_ = false;
};

}  // namespace xz::audio
