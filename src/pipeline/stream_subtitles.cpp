#include "pipeline/stream_subtitles.h"

#include "pipeline/speech_text.h"

namespace xz::pipeline {

namespace {
constexpr double kCjkSeconds = 0.22;
constexpr double kOtherSeconds = 0.065;

bool counts(char32_t c) { return !is_space(c) && !is_punctuation(c) && !is_emoji(c); }
}  // namespace

std::size_t speech_chars(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = decode_utf8(text, i);
    n += counts(c.value);
    i += c.length;
  }
  return n;
}

double speech_seconds(std::string_view text) {
  double s = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = decode_utf8(text, i);
    if (counts(c.value)) s += is_cjk(c.value) ? kCjkSeconds : kOtherSeconds;
    i += c.length;
  }
  return s;
}

void StreamSubtitles::reset() { *this = StreamSubtitles{}; }

void StreamSubtitles::add(std::string subtitle, std::string_view speech) {
  entries_.push_back({std::move(subtitle), speech_chars(speech), speech_seconds(speech)});
}

void StreamSubtitles::vendor_sentence(std::string_view text) {
  const std::size_t n = speech_chars(text);
  if (n == 0) {
    ++vendor_sentences_;
    return;
  }
  vendor_named_ = true;
  vendor_start_ = vendor_chars_;
  vendor_chars_ += n;
}

std::vector<std::string> StreamSubtitles::due(double seconds_before) {
  std::vector<std::string> out;
  while (next_ < entries_.size()) {
    const bool first = next_ == 0;
    const bool by_vendor_count = next_ < vendor_sentences_;
    const bool by_vendor_text = vendor_named_ && shown_chars_ <= vendor_start_;
    const bool by_estimate = seconds_before + 1e-9 >= shown_seconds_;
    if (!first && !by_vendor_count && !by_vendor_text && !by_estimate) break;
    const auto& e = entries_[next_++];
    shown_chars_ += e.chars;
    shown_seconds_ += e.seconds;
    out.push_back(e.subtitle);
  }
  return out;
}

std::vector<std::string> StreamSubtitles::rest() {
  std::vector<std::string> out;
  while (next_ < entries_.size()) {
    const auto& e = entries_[next_++];
    shown_chars_ += e.chars;
    shown_seconds_ += e.seconds;
    out.push_back(e.subtitle);
  }
  return out;
}

}  // namespace xz::pipeline
