#include "audio/id3v2_skipper.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "audio/audio_stream_decoder.h"

namespace xz::audio {

namespace {
constexpr std::size_t kHeader = 10;
constexpr std::string_view kMagic = "ID3";
}  // namespace

Id3v2Skipper::Data Id3v2Skipper::skip(std::span<const std::uint8_t> bytes) {
  Data out;
  while (!bytes.empty() && state_ != State::kDone) {
    if (state_ == State::kSkip) {
      auto n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_left_, bytes.size()));
      skip_left_ -= n;
      bytes = bytes.subspan(n);
      if (skip_left_ == 0) state_ = State::kDone;
      continue;
    }
    head_.push_back(static_cast<char>(bytes.front()));
    bytes = bytes.subspan(1);
    const std::size_t at = head_.size();
    if (at <= kMagic.size() && head_.back() != kMagic[at - 1]) {
      state_ = State::kDone;  // no tag: what we held is stream data
      out.held = std::move(head_);
      head_.clear();
      break;
    }
    if (at < kHeader) continue;
    const auto* h = reinterpret_cast<const unsigned char*>(head_.data());
    if (h[3] == 0xff || h[4] == 0xff || (h[6] | h[7] | h[8] | h[9]) & 0x80)
      throw AudioFormatError("malformed ID3v2 tag header");
    std::uint64_t size = static_cast<std::uint64_t>(h[6]) << 21 | h[7] << 14 | h[8] << 7 | h[9];
    if (h[5] & 0x10) size += kHeader;  // a footer follows
    if (size > kMaxTagBytes)
      throw AudioFormatError(fmt::format("ID3v2 tag of {} bytes is larger than {} bytes", size, kMaxTagBytes));
    head_.clear();
    skip_left_ = size;
    state_ = size ? State::kSkip : State::kDone;
  }
  out.rest = bytes;
  return out;
}

std::string Id3v2Skipper::finish() {
  if (state_ == State::kSkip || (state_ == State::kHead && head_.size() >= kMagic.size()))
    throw AudioFormatError("stream ends inside its ID3v2 tag");
  state_ = State::kDone;
  return std::exchange(head_, {});
}

}  // namespace xz::audio
