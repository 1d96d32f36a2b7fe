#pragma once
// Skips an ID3v2 tag at the start of an mp3 or ADTS stream (vendors and "custom" TTS
// servers put one there) by counting, without keeping its bytes: cover art of any size
// costs no memory.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace xz::audio {

class Id3v2Skipper {
 public:
  // Tags larger than this are refused (AudioFormatError): no TTS answer has one.
  static constexpr std::uint32_t kMaxTagBytes = 16u << 20;

  // Stream data, in order: `held` (bytes kept from earlier calls while telling whether
  // a tag starts, at most 9) then `rest`.
  struct Data {
    std::string held;
    std::span<const std::uint8_t> rest;
  };
  // Consumes the tag's bytes from the front of `bytes`; what follows it is stream data.
  // Throws AudioFormatError for a malformed tag header.
  Data skip(std::span<const std::uint8_t> bytes);
  // End of input: bytes held because they might have begun a tag. Throws
  // AudioFormatError when the stream ends inside a tag.
  std::string finish();
  // The start has been decided: the tag, if any, is behind us.
  bool done() const { return state_ == State::kDone; }

 private:
  enum class State { kHead, kSkip, kDone };
  State state_ = State::kHead;
  std::string head_;
  std::uint64_t skip_left_ = 0;
};

}  // namespace xz::audio
