#include "audio/ogg_opus_reader.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace xz::audio {
namespace {

constexpr std::size_t kOggHeader = 27;
constexpr std::size_t kMaxPacket = 1 << 20;  // Opus audio packets are < 8 KiB

// Ogg's CRC-32 (polynomial 0x04c11db7, no reflection, initial value 0).
std::uint32_t ogg_crc(std::string_view bytes) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t r = i << 24;
      for (int k = 0; k < 8; ++k) r = (r & 0x80000000u) ? (r << 1) ^ 0x04c11db7u : r << 1;
      t[i] = r;
    }
    return t;
  }();
  std::uint32_t crc = 0;
  for (unsigned char c : bytes) crc = (crc << 8) ^ table[((crc >> 24) ^ c) & 0xff];
  return crc;
}

std::uint32_t le32(std::string_view b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[at])) |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[at + 1])) << 8 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[at + 2])) << 16 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[at + 3])) << 24;
}

}  // namespace

std::optional<OggPage> OggPageSplitter::next() {
  buf_.erase(0, used_);
  used_ = 0;
  for (;;) {
    std::size_t at = buf_.find("OggS");
    if (at == std::string::npos) {
      std::size_t drop = buf_.size() > 3 ? buf_.size() - 3 : 0;  // "Ogg" may end the buffer
      skipped_ += drop;
      buf_.erase(0, drop);
      return std::nullopt;
    }
    skipped_ += at;
    buf_.erase(0, at);
    if (buf_.size() < kOggHeader) return std::nullopt;
    std::size_t segs = static_cast<std::uint8_t>(buf_[26]);
    if (buf_.size() < kOggHeader + segs) return std::nullopt;
    std::size_t body = 0;
    for (std::size_t i = 0; i < segs; ++i) body += static_cast<std::uint8_t>(buf_[kOggHeader + i]);
    std::size_t total = kOggHeader + segs + body;
    if (buf_.size() < total) return std::nullopt;
    std::string_view page(buf_.data(), total);
    std::string copy(page);
    std::memset(copy.data() + 22, 0, 4);
    if (buf_[4] != 0 || ogg_crc(copy) != le32(page, 22)) {
      buf_.erase(0, 1);  // not a real page boundary: search on
      ++skipped_;
      continue;
    }
    used_ = total;
    skipped_ = 0;
    OggPage p;
    p.flags = static_cast<std::uint8_t>(page[5]);
    std::uint64_t g = 0;
    for (int i = 7; i >= 0; --i) g = (g << 8) | static_cast<std::uint8_t>(page[6 + i]);
    p.granule = static_cast<std::int64_t>(g);
    p.serial = le32(page, 14);
    p.lacing = page.substr(kOggHeader, segs);
    p.body = page.substr(kOggHeader + segs);
    return p;
  }
}

std::optional<OggPage> OggPageReader::next() {
  for (;;) {
    if (auto page = pages_.next()) return page;
    std::array<char, 65536> block;
    in_.read(block.data(), block.size());
    auto n = static_cast<std::size_t>(in_.gcount());
    if (n == 0) return std::nullopt;  // the end, perhaps inside a cut-off last page
    pages_.push(std::string_view(block.data(), n));
  }
}

OpusHead parse_opus_head(std::string_view p, const std::string& name) {
  if (p.size() < 19 || p.substr(0, 8) != "OpusHead")
    throw std::runtime_error(fmt::format("'{}' is not an Ogg Opus file (no OpusHead)", name));
  OpusHead h;
  if ((static_cast<std::uint8_t>(p[8]) & 0xf0) != 0)
    throw std::runtime_error(fmt::format("'{}': unsupported Ogg Opus version {}", name, static_cast<int>(p[8])));
  h.channels = static_cast<std::uint8_t>(p[9]);
  h.pre_skip = static_cast<std::uint8_t>(p[10]) | static_cast<std::uint8_t>(p[11]) << 8;
  auto gain_q8 = static_cast<std::int16_t>(static_cast<std::uint8_t>(p[16]) | static_cast<std::uint8_t>(p[17]) << 8);
  h.gain = std::pow(10.0, gain_q8 / (20.0 * 256.0));
  int family = static_cast<std::uint8_t>(p[18]);
  // One decoder handles one Opus stream of 1-2 channels; surround needs a multistream decoder.
  if (h.channels < 1 || h.channels > 2 || family > 1)
    throw std::runtime_error(
        fmt::format("'{}': Ogg Opus with {} channels (mapping family {}) is not supported", name, h.channels, family));
  return h;
}

bool starts_ogg_opus(std::string_view got) {
  if (got.size() < kOggHeader + 8 || got.substr(0, 4) != "OggS") return false;
  std::size_t at = kOggHeader + static_cast<std::uint8_t>(got[26]);
  return got.size() >= at + 8 && got.substr(at, 8) == "OpusHead";
}

OggOpusPageDecoder::OggOpusPageDecoder(std::string name, int decode_rate)
    : name_(std::move(name)), decode_rate_(decode_rate), decoder_(decode_rate, 1) {}  // libopus downmixes stereo

std::vector<std::int16_t> OggOpusPageDecoder::consume(const OggPage& page) {
  std::vector<std::int16_t> decoded;
  if (!serial_) {
    if (!(page.flags & 2)) throw std::runtime_error(fmt::format("'{}' is not an Ogg file", name_));
    serial_ = page.serial;
  } else if (page.serial != *serial_ || ended_) {
    return decoded;  // another logical stream, or past the end
  }
  if (!(page.flags & 1)) {
    if (in_packet_) ++packet_index_;  // cut short by a lost page: dropped
    in_packet_ = dropping_ = false;
    packet_.clear();
  } else if (!in_packet_) {
    dropping_ = true;  // continues a packet whose start we never saw
  }
  std::size_t pos = 0;
  for (unsigned char lace : page.lacing) {
    in_packet_ = true;
    if (!dropping_ && packet_index_ != 1) {  // packet 1 (OpusTags) may hold cover art: not kept
      packet_.append(page.body.substr(pos, lace));
      if (packet_.size() > kMaxPacket)
        throw std::runtime_error(fmt::format("'{}': Ogg packet larger than {} bytes", name_, kMaxPacket));
    }
    pos += lace;
    if (lace < 255) {
      if (!dropping_) on_packet(decoded);
      ++packet_index_;
      in_packet_ = dropping_ = false;
      packet_.clear();
    }
  }
  if (!head_) throw std::runtime_error(fmt::format("'{}' is not an Ogg Opus file (no OpusHead)", name_));
  // The granule position of the last page says where the audio really ends.
  if (page.flags & 4) {
    ended_ = true;
    if (page.granule >= 0) {
      auto end = static_cast<std::uint64_t>(page.granule) * static_cast<std::uint64_t>(decode_rate_) / 48000u;
      if (decoded_ > end) {
        auto extra = static_cast<std::size_t>(std::min<std::uint64_t>(decoded_ - end, decoded.size()));
        decoded.resize(decoded.size() - extra);
        decoded_ -= extra;
      }
    }
  }
  if (head_->gain != 1.0)
    for (auto& s : decoded) s = static_cast<std::int16_t>(std::clamp(std::lround(s * head_->gain), -32768L, 32767L));
  return decoded;
}

void OggOpusPageDecoder::on_packet(std::vector<std::int16_t>& decoded) {
  if (packet_index_ == 0) {
    head_ = parse_opus_head(packet_, name_);
    skip_left_ = static_cast<std::size_t>(head_->pre_skip) * static_cast<std::size_t>(decode_rate_) / 48000u;
    return;
  }
  if (packet_index_ == 1) return;  // OpusTags
  auto pcm = decoder_.decode(packet_);
  if (!pcm) return;  // a damaged packet is skipped, as a player would
  decoded_ += pcm->size();
  std::size_t skip = std::min(skip_left_, pcm->size());
  skip_left_ -= skip;
  decoded.insert(decoded.end(), pcm->begin() + static_cast<std::ptrdiff_t>(skip), pcm->end());
}

OggOpusStream::OggOpusStream(std::unique_ptr<std::istream> in, std::string name, int rate, std::size_t chunk)
    : name_(std::move(name)),
      in_(std::move(in)),
      pages_(*in_),
      decoder_(name_, OggOpusPageDecoder::is_opus_rate(rate) ? rate : 48000),
      chunk_(chunk) {
  if (decoder_.decode_rate() != rate) resampler_.emplace(decoder_.decode_rate(), rate);
  auto first = pages_.next();
  if (!first) throw std::runtime_error(fmt::format("'{}' is not an Ogg file", name_));
  deliver(decoder_.consume(*first));
}

std::vector<std::int16_t> OggOpusStream::next_chunk() {
  while (out_.size() < chunk_ && !finished_) {
    auto page = pages_.next();
    if (!page) {
      finish();
      break;
    }
    deliver(decoder_.consume(*page));
    if (decoder_.ended()) finish();
  }
  const auto n = static_cast<std::ptrdiff_t>(std::min(chunk_, out_.size()));
  std::vector<std::int16_t> chunk(out_.begin(), out_.begin() + n);
  out_.erase(out_.begin(), out_.begin() + n);
  return chunk;
}

void OggOpusStream::deliver(std::vector<std::int16_t> pcm) {
  if (resampler_) pcm = resampler_->process(pcm);
  out_.insert(out_.end(), pcm.begin(), pcm.end());
}

void OggOpusStream::finish() {
  if (finished_) return;
  finished_ = true;
  if (resampler_) {
    auto tail = resampler_->flush();
    out_.insert(out_.end(), tail.begin(), tail.end());
  }
}

}  // namespace xz::audio
