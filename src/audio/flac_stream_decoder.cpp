// FLAC as it arrives, with libFLAC's stream decoder. libFLAC pulls bytes and cannot
// wait for more in the middle of a frame, so it is only ever given whole frames: the
// metadata is parsed here (STREAMINFO kept, the other blocks skipped without being
// held), and a frame counts as complete once the next frame's header (sync code and
// CRC-8) follows it and its own CRC-16 holds, or at the end of the stream. That costs
// one frame of latency (4096 samples at most in streamable FLAC), never a whole file.
#include <FLAC/stream_decoder.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "audio/stream_decoders.h"

namespace xz::audio {

namespace {

constexpr std::size_t kMaxMetadataBytes = 1 << 20;  // cover art included
constexpr std::size_t kMaxFrameBytes = 1 << 20;
constexpr std::size_t kStreamInfoSize = 34;
constexpr std::size_t kMaxHeaderSize = 16;

std::uint8_t crc8(const std::uint8_t* p, std::size_t n) {
  std::uint8_t crc = 0;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = static_cast<std::uint8_t>(crc & 0x80 ? (crc << 1) ^ 0x07 : crc << 1);
  }
  return crc;
}

std::uint16_t crc16(const std::uint8_t* p, std::size_t n) {
  static const auto table = [] {
    std::array<std::uint16_t, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
      unsigned r = i << 8;
      for (int k = 0; k < 8; ++k) r = r & 0x8000 ? (r << 1) ^ 0x8005 : r << 1;
      t[i] = static_cast<std::uint16_t>(r);
    }
    return t;
  }();
  std::uint16_t crc = 0;
  for (std::size_t i = 0; i < n; ++i) crc = static_cast<std::uint16_t>(crc << 8 ^ table[(crc >> 8) ^ p[i]]);
  return crc;
}

// Length of the frame header at p (CRC-8 checked), 0 when more bytes are needed, -1
// when there is no valid header there. `strategy`: byte 1 every header of this stream
// has (fixed or variable block size), 0 = not known yet.
std::ptrdiff_t frame_header_length(const std::uint8_t* p, std::size_t avail, std::uint8_t strategy) {
  if (avail < 1) return 0;
  if (p[0] != 0xff) return -1;
  if (avail < 2) return 0;
  if ((p[1] & 0xfe) != 0xf8 || (strategy && p[1] != strategy)) return -1;
  if (avail < 5) return 0;
  const int block = p[2] >> 4, rate = p[2] & 0x0f, chan = p[3] >> 4, size = (p[3] >> 1) & 7;
  if (block == 0 || rate == 15 || chan > 10 || size == 3 || (p[3] & 1)) return -1;
  std::size_t len = 4;
  const std::uint8_t c = p[4];
  std::size_t coded = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4
                    : (c & 0xfc) == 0xf8 ? 5 : (c & 0xfe) == 0xfc ? 6 : c == 0xfe ? 7 : 0;
  if (coded == 0) return -1;
  if (avail < len + coded) return 0;
  for (std::size_t i = 1; i < coded; ++i)
    if ((p[len + i] & 0xc0) != 0x80) return -1;
  len += coded;
  len += block == 6 ? 1 : block == 7 ? 2 : 0;
  len += rate == 12 ? 1 : (rate == 13 || rate == 14) ? 2 : 0;
  if (avail < len + 1) return 0;
  if (crc8(p, len) != p[len]) return -1;
  return static_cast<std::ptrdiff_t>(len + 1);
}

struct DecoderFree {
  void operator()(FLAC__StreamDecoder* d) const { FLAC__stream_decoder_delete(d); }
};

class FlacStreamDecoder final : public AudioStreamDecoder {
 public:
  DecodedPcm push(std::span<const std::uint8_t> bytes) override {
    DecodedPcm out;
    bytes = parse_metadata(bytes);
    if (state_ != State::kFrames) return out;
    frames_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    decode_complete_frames(out);
    if (frames_.size() > max_frame_ + kDecoderSliceBytes)
      throw AudioFormatError(fmt::format("FLAC: no complete frame in {} bytes (damaged, or frames too large)",
                                         frames_.size()));
    return out;
  }

  DecodedPcm finish() override {
    if (state_ != State::kFrames)
      throw AudioFormatError(seen_ ? "FLAC stream ends in its metadata" : "no audio: the stream is empty");
    DecodedPcm out;
    if (!frames_.empty()) {
      const auto* p = reinterpret_cast<const std::uint8_t*>(frames_.data());
      const std::size_t n = frames_.size();
      if (frame_header_length(p, n, strategy_) <= 0 || n < 4 || crc16(p, n - 2) != (p[n - 2] << 8 | p[n - 1]))
        throw AudioFormatError(fmt::format("FLAC stream ends inside a frame ({} bytes of it arrived)", n));
      decode(n, out);
    }
    return out;
  }

 private:
  enum class State { kMagic, kBlockHeader, kStreamInfo, kSkipBlock, kFrames };

  std::span<const std::uint8_t> parse_metadata(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty() && state_ != State::kFrames) {
      seen_ = true;
      if (state_ == State::kSkipBlock) {
        auto n = std::min<std::size_t>(skip_left_, bytes.size());
        skip_left_ -= n;
        bytes = bytes.subspan(n);
        if (skip_left_ == 0) end_of_block();
        continue;
      }
      const std::size_t need = state_ == State::kMagic ? 4 : state_ == State::kBlockHeader ? 4 : kStreamInfoSize;
      const std::size_t n = std::min(need - piece_.size(), bytes.size());
      piece_.append(reinterpret_cast<const char*>(bytes.data()), n);
      bytes = bytes.subspan(n);
      if (piece_.size() < need) continue;
      const auto* p = reinterpret_cast<const std::uint8_t*>(piece_.data());
      if (state_ == State::kMagic) {
        if (piece_ != "fLaC") throw AudioFormatError("not a FLAC stream (no fLaC at its start)");
        state_ = State::kBlockHeader;
      } else if (state_ == State::kBlockHeader) {
        last_block_ = p[0] & 0x80;
        const int type = p[0] & 0x7f;
        const std::size_t size = static_cast<std::size_t>(p[1]) << 16 | p[2] << 8 | p[3];
        if (type == 127) throw AudioFormatError("FLAC: invalid metadata block type 127");
        if ((type == 0) != streaminfo_.empty())
          throw AudioFormatError("FLAC: STREAMINFO must be the first metadata block, and only once");
        if (type == 0 && size != kStreamInfoSize)
          throw AudioFormatError(fmt::format("FLAC: STREAMINFO of {} bytes (34 expected)", size));
        metadata_bytes_ += 4 + size;
        if (metadata_bytes_ > kMaxMetadataBytes)
          throw AudioFormatError(fmt::format("FLAC: metadata larger than {} bytes", kMaxMetadataBytes));
        skip_left_ = size;
        state_ = type == 0 ? State::kStreamInfo : State::kSkipBlock;
        if (state_ == State::kSkipBlock && size == 0) end_of_block();
      } else {
        read_streaminfo(p);
        end_of_block();
      }
      piece_.clear();
    }
    return bytes;
  }

  void end_of_block() {
    state_ = State::kBlockHeader;
    if (last_block_) start_decoder();
  }

  void read_streaminfo(const std::uint8_t* p) {
    const unsigned min_block = p[0] << 8 | p[1], max_block = p[2] << 8 | p[3];
    const std::size_t max_frame = static_cast<std::size_t>(p[7]) << 16 | p[8] << 8 | p[9];
    rate_ = static_cast<int>(static_cast<unsigned>(p[10]) << 12 | p[11] << 4 | p[12] >> 4);
    channels_ = ((p[12] >> 1) & 7) + 1;
    const int bits = ((p[12] & 1) << 4 | p[13] >> 4) + 1;
    if (rate_ < 1000 || rate_ > 384000) throw AudioFormatError(fmt::format("FLAC: sample rate {} Hz is out of range", rate_));
    if (bits < 4) throw AudioFormatError(fmt::format("FLAC: {} bits per sample", bits));
    if (min_block < 16 || max_block < min_block)
      throw AudioFormatError(fmt::format("FLAC: bad block sizes {}-{}", min_block, max_block));
    // The largest frame that can be legal: STREAMINFO's own figure, else uncompressed.
    const std::size_t worst = static_cast<std::size_t>(max_block) * static_cast<std::size_t>(channels_) *
                                  static_cast<std::size_t>(bits + 1) / 8 + 64 * static_cast<std::size_t>(channels_) + 32;
    max_frame_ = std::min(kMaxFrameBytes, max_frame ? std::max(max_frame, kMaxHeaderSize) : worst);
    streaminfo_.assign(reinterpret_cast<const char*>(p), kStreamInfoSize);
  }

  // libFLAC gets "fLaC" and STREAMINFO alone, marked as the last block.
  void start_decoder() {
    state_ = State::kFrames;
    decoder_.reset(FLAC__stream_decoder_new());
    if (!decoder_) throw AudioFormatError("FLAC: cannot start libFLAC");
    if (FLAC__stream_decoder_init_stream(decoder_.get(), &FlacStreamDecoder::on_read, nullptr, nullptr, nullptr,
                                         nullptr, &FlacStreamDecoder::on_write, nullptr, &FlacStreamDecoder::on_error,
                                         this) != FLAC__STREAM_DECODER_INIT_STATUS_OK)
      throw AudioFormatError("FLAC: cannot start libFLAC");
    std::string head = "fLaC";
    head += static_cast<char>(0x80);
    head += std::string("\0\0\x22", 3);
    head += streaminfo_;
    input_ = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(head.data()), head.size());
    const bool ok = FLAC__stream_decoder_process_until_end_of_metadata(decoder_.get());
    input_ = {};
    check(ok, "metadata");
  }

  void decode_complete_frames(DecodedPcm& out) {
    for (;;) {
      const auto* p = reinterpret_cast<const std::uint8_t*>(frames_.data());
      const std::size_t n = frames_.size();
      const auto head = frame_header_length(p, n, strategy_);
      if (head == 0) return;
      if (head < 0) throw AudioFormatError("FLAC: no frame header where a frame must start");
      if (!strategy_) strategy_ = p[1];
      std::size_t at = std::max(scan_, static_cast<std::size_t>(head) + 2);
      std::size_t end = 0;
      for (; at < n; ++at) {
        if (p[at] != 0xff) continue;
        const auto next = frame_header_length(p + at, n - at, strategy_);
        if (next == 0) break;  // the next header is still arriving
        if (next > 0 && crc16(p, at - 2) == (p[at - 2] << 8 | p[at - 1])) {
          end = at;
          break;
        }
      }
      if (!end) {
        scan_ = at;
        return;
      }
      decode(end, out);
      frames_.erase(0, end);
      scan_ = 0;
    }
  }

  // Decodes the frame frames_[0, size).
  void decode(std::size_t size, DecodedPcm& out) {
    input_ = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(frames_.data()), size);
    out_ = &out;
    const bool ok = FLAC__stream_decoder_process_single(decoder_.get());
    out_ = nullptr;
    const std::size_t left = input_.size();
    input_ = {};
    check(ok, "frame");
    if (left) throw AudioFormatError("FLAC: a frame was not decoded whole");
  }

  void check(bool ok, const char* what) {
    if (!error_.empty()) throw AudioFormatError("FLAC: " + error_);
    if (!ok)
      throw AudioFormatError(fmt::format("FLAC: {} not decoded ({})", what,
                                         FLAC__StreamDecoderStateString[FLAC__stream_decoder_get_state(decoder_.get())]));
  }

  static FLAC__StreamDecoderReadStatus on_read(const FLAC__StreamDecoder*, FLAC__byte buffer[], size_t* bytes,
                                               void* client) {
    auto* self = static_cast<FlacStreamDecoder*>(client);
    const std::size_t n = std::min(*bytes, self->input_.size());
    if (n == 0) {
      // Asked past the bytes of a whole frame: the stream is not what its headers say.
      *bytes = 0;
      self->error_ = "a frame reaches past its end";
      return FLAC__STREAM_DECODER_READ_STATUS_ABORT;
    }
    std::memcpy(buffer, self->input_.data(), n);
    self->input_ = self->input_.subspan(n);
    *bytes = n;
    return FLAC__STREAM_DECODER_READ_STATUS_CONTINUE;
  }

  static FLAC__StreamDecoderWriteStatus on_write(const FLAC__StreamDecoder*, const FLAC__Frame* frame,
                                                 const FLAC__int32* const buffer[], void* client) {
    auto* self = static_cast<FlacStreamDecoder*>(client);
    const auto& h = frame->header;
    if (!self->out_ || h.channels < 1 || h.channels > 8 || h.bits_per_sample < 4 || h.bits_per_sample > 32) {
      self->error_ = fmt::format("frame with {} channels of {} bits", h.channels, h.bits_per_sample);
      return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    const int shift = static_cast<int>(h.bits_per_sample) - 16;
    auto& samples = self->out_->samples;
    samples.reserve(samples.size() + h.blocksize);
    for (unsigned i = 0; i < h.blocksize; ++i) {
      std::int64_t sum = 0;
      for (unsigned c = 0; c < h.channels; ++c) sum += buffer[c][i];
      std::int64_t v = sum / static_cast<std::int64_t>(h.channels);
      v = shift >= 0 ? v >> shift : v * (std::int64_t{1} << -shift);
      samples.push_back(static_cast<std::int16_t>(std::clamp<std::int64_t>(v, -32768, 32767)));
    }
    self->out_->sample_rate = static_cast<int>(h.sample_rate);
    return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
  }

  static void on_error(const FLAC__StreamDecoder*, FLAC__StreamDecoderErrorStatus status, void* client) {
    auto* self = static_cast<FlacStreamDecoder*>(client);
    if (self->error_.empty()) self->error_ = FLAC__StreamDecoderErrorStatusString[status];
  }

  State state_ = State::kMagic;
  bool seen_ = false;
  std::string piece_;  // a metadata header or STREAMINFO still arriving
  std::size_t skip_left_ = 0;
  bool last_block_ = false;
  std::size_t metadata_bytes_ = 0;
  std::string streaminfo_;
  int rate_ = 0;
  int channels_ = 0;
  std::size_t max_frame_ = kMaxFrameBytes;
  std::uint8_t strategy_ = 0;
  std::string frames_;    // from the start of the frame being received
  std::size_t scan_ = 0;  // where the search for the next frame header goes on
  std::unique_ptr<FLAC__StreamDecoder, DecoderFree> decoder_;
  std::span<const std::uint8_t> input_;  // what libFLAC may read now
  DecodedPcm* out_ = nullptr;
  std::string error_;
};

}  // namespace

std::unique_ptr<AudioStreamDecoder> make_flac_stream_decoder() { return std::make_unique<FlacStreamDecoder>(); }

}  // namespace xz::audio
