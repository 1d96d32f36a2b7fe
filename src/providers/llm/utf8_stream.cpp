#include "providers/llm/utf8_stream.h"

namespace xz::providers {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the sequence a lead byte starts (0 = not a lead byte).
int sequence_length(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

// Whether b may follow lead at position 1 of its sequence (excludes overlong forms,
// surrogates and code points above U+10FFFF).
bool valid_second(unsigned char lead, unsigned char b) {
  if ((b & 0xC0) != 0x80) return false;
  if (lead == 0xE0) return b >= 0xA0;
  if (lead == 0xED) return b <= 0x9F;
  if (lead == 0xF0) return b >= 0x90;
  if (lead == 0xF4) return b <= 0x8F;
  return true;
}

}  // namespace

std::string Utf8Stream::feed(std::string_view bytes) {
  pending_.append(bytes);
  std::string out;
  std::size_t i = 0;
  const std::size_t n = pending_.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(pending_[i]);
    int len = sequence_length(c);
    if (len == 1) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (len == 0) {
      out.append(kReplacement);
      ++i;
      continue;
    }
    // Check the bytes we have; stop (and hold) when the sequence is cut by the end.
    std::size_t k = 1;
    bool bad = false;
    for (; k < static_cast<std::size_t>(len) && i + k < n; ++k) {
      auto b = static_cast<unsigned char>(pending_[i + k]);
      bool ok = k == 1 ? valid_second(c, b) : (b & 0xC0) == 0x80;
      if (!ok) {
        bad = true;
        break;
      }
    }
    if (bad) {
      out.append(kReplacement);
      i += k;  // the lead and the valid continuation bytes before the bad one
      continue;
    }
    if (k < static_cast<std::size_t>(len)) break;  // incomplete: wait for more
    out.append(pending_, i, static_cast<std::size_t>(len));
    i += static_cast<std::size_t>(len);
  }
  pending_.erase(0, i);
  return out;
}

std::string Utf8Stream::finish() {
  std::string out = pending_.empty() ? std::string() : std::string(kReplacement);
  pending_.clear();
  return out;
}

}  // namespace xz::providers
