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

// Ogg pages from bytes pushed as they arrive (an HTTP body, or blocks of a file);
// damaged bytes are skipped up to the next page whose checksum holds. Holds at most one
// page (64 KiB) plus the last push.
class OggPageSplitter {
 public:
  void push(std::string_view bytes) { buf_.append(bytes); }
  // The next complete page, valid until the next call; std::nullopt until more bytes come.
  std::optional<OggPage> next();
  // Bytes skipped as not part of any page since the last page (or the start).
  std::size_t skipped() const { return skipped_; }
  // Bytes held: a page still arriving (or junk not yet searched).
  std::size_t buffered() const { return buf_.size() - used_; }

 private:
  std::string buf_;
  std::size_t used_ = 0;  // the page last returned, erased on the next call
  std::size_t skipped_ = 0;
};

// The Ogg pages of a stream, read in blocks.
class OggPageReader {
 public:
  explicit OggPageReader(std::istream& in) : in_(in) {}
  // The next page, valid until the next call; std::nullopt at the end of the stream.
  std::optional<OggPage> next();

 private:
  std::istream& in_;
  OggPageSplitter pages_;
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

// The audio of one logical Ogg Opus stream, page by page: packets reassembled across
// pages, the OpusHead read, the audio decoded at decode_rate (an Opus rate), pre-skip,
// output gain and the end's granule position applied. Pages of other streams are ignored.
class OggOpusPageDecoder {
 public:
  // rate: 8000, 12000, 16000, 24000 or 48000. name: how errors name the stream.
  OggOpusPageDecoder(std::string name, int decode_rate);
  // The samples this page completes. Throws std::runtime_error when the first page is
  // not an Ogg Opus start we can decode, or for a packet larger than 1 MiB.
  std::vector<std::int16_t> consume(const OggPage& page);
  bool has_head() const { return head_.has_value(); }
  bool ended() const { return ended_; }  // the last page (flag 4) has been read
  int decode_rate() const { return decode_rate_; }

  static bool is_opus_rate(int r) { return r == 8000 || r == 12000 || r == 16000 || r == 24000 || r == 48000; }

 private:
  void on_packet(std::vector<std::int16_t>& decoded);

  std::string name_;
  int decode_rate_;
  OpusDecoder decoder_;
  std::optional<OpusHead> head_;
  std::optional<std::uint32_t> serial_;
  std::string packet_;      // the packet being assembled
  bool in_packet_ = false;  // a packet goes on onto the next page
  bool dropping_ = false;
  bool ended_ = false;
  std::size_t packet_index_ = 0;
  std::size_t skip_left_ = 0;
  std::uint64_t decoded_ = 0;  // samples at decode_rate_, pre-skip included
};

// The decoding state of one Ogg Opus file; not thread-safe (one pool job at a time).
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
  void deliver(std::vector<std::int16_t> pcm);
  void finish();

  std::string name_;
  std::unique_ptr<std::istream> in_;
  OggPageReader pages_;
  OggOpusPageDecoder decoder_;
  std::size_t chunk_;
  std::optional<Resampler> resampler_;
  std::vector<std::int16_t> out_;
  bool finished_ = false;
};

}  // namespace xz::audio
