#include "audio/wav_stream_reader.h"

#include <algorithm>

#include <fmt/format.h>

namespace xz::audio {

namespace {

constexpr std::size_t kChunkHeaderSize = 8;
constexpr std::size_t kMaxFmtSize = 1024;
constexpr std::uint16_t kFormatPcm = 1;
constexpr std::uint16_t kFormatExtensible = 0xFFFE;

std::uint16_t le16(std::string_view b, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) |
                                    static_cast<unsigned char>(b[at + 1]) << 8);
}

std::uint32_t le32(std::string_view b, std::size_t at) {
  return static_cast<std::uint32_t>(le16(b, at)) | static_cast<std::uint32_t>(le16(b, at + 2)) << 16;
}

std::string printable_id(std::string_view id) {
  std::string out;
  for (char c : id) out += (c >= 0x20 && c < 0x7F) ? c : '?';
  return out;
}

std::string format_name(std::uint16_t tag) {
  switch (tag) {
    case 3: return "IEEE float";
    case 6: return "A-law";
    case 7: return "mu-law";
    case 0x55: return "MP3";
    default: return fmt::format("format tag {:#x}", tag);
  }
}

}  // namespace

std::vector<std::int16_t> WavStreamReader::feed(std::string_view bytes) {
  if (state_ == State::kFailed) throw WavError(error_);
  std::vector<std::int16_t> out;
  while (!bytes.empty()) {
    switch (state_) {
      case State::kData:
        decode_data(bytes, out);
        break;
      case State::kDone:
        return out;
      case State::kSkip: {
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_left_, bytes.size()));
        skip_left_ -= n;
        bytes.remove_prefix(n);
        if (skip_left_ == 0) {
          state_ = State::kChunkHeader;
          need_ = kChunkHeaderSize;
        }
        break;
      }
      default: {
        std::size_t n = std::min(need_ - piece_.size(), bytes.size());
        piece_.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        header_bytes_ += n;
        if (header_bytes_ > kMaxHeaderBytes)
          fail(fmt::format("WAV has no data chunk in its first {} bytes", kMaxHeaderBytes));
        if (piece_.size() == need_) {
          parse_piece();
          piece_.clear();
        }
      }
    }
  }
  return out;
}

void WavStreamReader::parse_piece() {
  switch (state_) {
    case State::kRiff: return parse_riff();
    case State::kChunkHeader: return parse_chunk_header();
    case State::kFmt: return parse_fmt();
    default: return;
  }
}

void WavStreamReader::parse_riff() {
  std::string_view b = piece_;
  if (b.substr(0, 4) == "RIFX") fail("big-endian WAV (RIFX) is not supported");
  if (b.substr(0, 4) == "RF64") fail("RF64 WAV is not supported");
  if (b.substr(0, 4) != "RIFF" || b.substr(8, 4) != "WAVE") fail("not a WAV file (no RIFF/WAVE header)");
  state_ = State::kChunkHeader;
  need_ = kChunkHeaderSize;
}

void WavStreamReader::parse_chunk_header() {
  std::string_view b = piece_;
  std::string_view id = b.substr(0, 4);
  std::uint32_t size = le32(b, 4);
  if (id == "fmt ") {
    if (fmt_chunk_) fail("WAV has two fmt chunks");
    if (size < 16 || size > kMaxFmtSize) fail(fmt::format("WAV fmt chunk has a bad size of {} bytes", size));
    state_ = State::kFmt;
    need_ = size + (size & 1);  // chunks are padded to an even length
    return;
  }
  if (id == "data") {
    if (!fmt_chunk_) fail("WAV data chunk comes before the fmt chunk");
    format_ = fmt_chunk_;
    if (size == 0 || size == 0xFFFFFFFFu)
      data_left_.reset();
    else
      data_left_ = size;
    state_ = State::kData;
    return;
  }
  // Unknown chunk (LIST, fact, cue, ...): skip it without buffering.
  skip_left_ = static_cast<std::uint64_t>(size) + (size & 1);
  if (header_bytes_ + skip_left_ > kMaxHeaderBytes)
    fail(fmt::format("WAV chunk '{}' of {} bytes before the data chunk is too large", printable_id(id), size));
  header_bytes_ += skip_left_;
  state_ = skip_left_ ? State::kSkip : State::kChunkHeader;
  need_ = kChunkHeaderSize;
}

void WavStreamReader::parse_fmt() {
  std::string_view b = piece_;
  std::uint16_t tag = le16(b, 0);
  std::uint16_t channels = le16(b, 2);
  std::uint32_t rate = le32(b, 4);
  std::uint16_t block_align = le16(b, 12);
  std::uint16_t bits = le16(b, 14);
  if (tag == kFormatExtensible) {
    // WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4) then the subformat GUID,
    // whose first two bytes are the plain format tag.
    if (b.size() < 40) fail("WAV extensible fmt chunk is too short");
    tag = le16(b, 24);
  }
  if (tag != kFormatPcm) fail(fmt::format("WAV is {}; only 16-bit PCM is supported", format_name(tag)));
  if (bits != 16) fail(fmt::format("WAV has {}-bit samples; only 16-bit PCM is supported", bits));
  if (channels < 1 || channels > 8) fail(fmt::format("WAV has {} channels; 1-8 are supported", channels));
  if (rate < 1000 || rate > 384000) fail(fmt::format("WAV sample rate {} Hz is out of range", rate));
  if (block_align != channels * 2)
    fail(fmt::format("WAV block align {} does not match {} channels of 16 bits", block_align, channels));
  fmt_chunk_ = WavFormat{static_cast<int>(rate), static_cast<int>(channels)};
  state_ = State::kChunkHeader;
  need_ = kChunkHeaderSize;
}

void WavStreamReader::decode_data(std::string_view& bytes, std::vector<std::int16_t>& out) {
  std::size_t take = bytes.size();
  if (data_left_) take = static_cast<std::size_t>(std::min<std::uint64_t>(*data_left_, take));
  std::string_view chunk = bytes.substr(0, take);
  bytes.remove_prefix(take);
  if (data_left_) {
    *data_left_ -= take;
    if (*data_left_ == 0) state_ = State::kDone;
  }
  const std::size_t frame_bytes = static_cast<std::size_t>(format_->channels) * 2;
  // Complete the frame split across the previous call first.
  if (!partial_.empty()) {
    std::size_t n = std::min(frame_bytes - partial_.size(), chunk.size());
    partial_.append(chunk.substr(0, n));
    chunk.remove_prefix(n);
    if (partial_.size() < frame_bytes) return;
    for (std::size_t i = 0; i < frame_bytes; i += 2) out.push_back(static_cast<std::int16_t>(le16(partial_, i)));
    partial_.clear();
  }
  std::size_t whole = chunk.size() / frame_bytes * frame_bytes;
  out.reserve(out.size() + whole / 2);
  for (std::size_t i = 0; i < whole; i += 2) out.push_back(static_cast<std::int16_t>(le16(chunk, i)));
  partial_.assign(chunk.substr(whole));
}

void WavStreamReader::fail(std::string message) {
  state_ = State::kFailed;
  error_ = std::move(message);
  throw WavError(error_);
}

std::string WavStreamReader::incomplete_reason() const {
  switch (state_) {
    case State::kFailed: return error_;
    case State::kRiff: return "not a WAV file (shorter than the RIFF header)";
    case State::kData:
    case State::kDone: return "";
    default: return "WAV ends before its data chunk";
  }
}

}  // namespace xz::audio
