#include "pipeline/sentence_segmenter.h"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "pipeline/speech_text.h"

namespace xz::pipeline {

namespace {

constexpr std::u32string_view kFullSentenceMarks = U"。？！；：";
constexpr std::u32string_view kFullCommaMarks = U"，、～";
constexpr std::u32string_view kAsciiSentenceMarks = U".?!;:";
constexpr std::u32string_view kAsciiCommaMarks = U",~";
// Closing quotes/brackets and emphasis markers that belong to the sentence before them.
constexpr std::u32string_view kClosers = U"”’」』）】》〉\"')]}*_`";
// Closers that can only start a segment as leftovers of the one before.
constexpr std::u32string_view kOrphanClosers = U"”’」』）】》〉)]}";
// An undecided line (spaces and backticks only) inside a code block waits at most this long.
constexpr std::size_t kMaxUndecidedFenceLine = 256;

bool has(std::u32string_view set, char32_t c) { return set.find(c) != std::u32string_view::npos; }
bool is_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool is_alpha(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char32_t c) { return is_digit(c) || is_alpha(c); }
bool is_any_mark(char32_t c) {
  return has(kFullSentenceMarks, c) || has(kFullCommaMarks, c) || has(kAsciiSentenceMarks, c) ||
         has(kAsciiCommaMarks, c);
}
bool is_fullwidth_punctuation(char32_t c) {
  return (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF);
}
// Letters, digits, ideographs: what makes a segment worth speaking.
bool is_content(char32_t c) {
  return !is_space(c) && !is_punctuation(c) && !is_emoji(c) && c != 0x200D && c != 0xFFFD;
}
// Code points that continue the character before them (a hard cut must not split them off).
bool is_extender(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0xFE00 && c <= 0xFE0F) || c == 0x200D || c == 0x20E3 ||
         (c >= 0x1F3FB && c <= 0x1F3FF) || (c >= 0xE0020 && c <= 0xE007F);
}

std::size_t prev_char_start(std::string_view s, std::size_t pos) {
  std::size_t i = pos - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

std::size_t count_content(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = decode_utf8(s, i);
    if (is_content(c.value)) ++n;
    i += c.length;
  }
  return n;
}

}  // namespace

SentenceSegmenter::SentenceSegmenter() : SentenceSegmenter(Options{}) {}

SentenceSegmenter::SentenceSegmenter(Options opts) : opts_(opts) {
  if (opts_.max_chars == 0) throw std::invalid_argument("SentenceSegmenter: max_chars must be at least 1");
}

std::vector<std::string> SentenceSegmenter::push(std::string_view delta) {
  // Slices keep the buffer small, so consuming segments from its front stays cheap
  // for a huge delta; segmentation does not depend on how the text is split.
  constexpr std::size_t kSlice = 4096;
  std::vector<std::string> out;
  do {
    const auto piece = delta.substr(0, kSlice);
    delta.remove_prefix(piece.size());
    buf_.append(piece);
    drain(false, out);
  } while (!delta.empty());
  return out;
}

std::optional<std::string> SentenceSegmenter::finish() {
  // A UTF-8 sequence cut off at the very end can no longer complete.
  if (!buf_.empty()) {
    const auto start = prev_char_start(buf_, buf_.size());
    if (!decode_utf8(buf_, start).complete) buf_.erase(start);
  }
  std::vector<std::string> out;
  drain(true, out);
  reset();
  if (out.empty()) return std::nullopt;
  // Everything but a held tail was emitted by push(), so this is one segment.
  std::string rest = std::move(out.front());
  for (std::size_t k = 1; k < out.size(); ++k) rest += ' ' + out[k];
  return rest;
}

void SentenceSegmenter::reset() {
  buf_.clear();
  first_done_ = false;
  line_start_ = true;
  in_code_ = false;
  code_line_start_ = false;
}

void SentenceSegmenter::drain(bool at_end, std::vector<std::string>& out) {
  for (;;) {
    if (in_code_) {
      if (!skip_code_block(at_end)) return;
      continue;
    }
    skip_whitespace();
    if (buf_.empty()) return;
    if (line_start_) {
      const int fence = open_code_block(at_end);
      if (fence < 0) return;
      if (fence > 0) continue;
    }
    bool need_more = false;
    if (skip_orphan_marks(at_end, need_more)) continue;
    if (need_more) return;
    const auto cut = find_cut(at_end);
    if (!cut) return;
    emit(*cut, out);
  }
}

void SentenceSegmenter::skip_whitespace() {
  std::size_t i = 0;
  while (i < buf_.size()) {
    const auto c = decode_utf8(buf_, i);
    if (!c.complete || !is_space(c.value)) break;
    if (c.value == '\n' || c.value == '\r') line_start_ = true;
    i += c.length;
  }
  buf_.erase(0, i);
}

int SentenceSegmenter::open_code_block(bool at_end) {
  // Only backtick fences: a line of "~~~" is ordinary chat text too often.
  std::size_t run = 0;
  while (run < buf_.size() && buf_[run] == '`') ++run;
  if (run == buf_.size() && run < 3 && !at_end) return -1;
  if (run < 3) return 0;
  in_code_ = true;
  fence_char_ = '`';
  fence_run_ = run;
  line_start_ = false;
  // The opener's info string ("```python") belongs to the block.
  const auto nl = buf_.find('\n');
  if (nl == std::string::npos) {
    buf_.clear();
    code_line_start_ = false;
  } else {
    buf_.erase(0, nl + 1);
    code_line_start_ = true;
  }
  return 1;
}

bool SentenceSegmenter::skip_code_block(bool at_end) {
  if (at_end) {  // an unclosed block: none of it is spoken
    buf_.clear();
    in_code_ = false;
    return false;
  }
  for (;;) {
    if (buf_.empty()) return false;
    if (code_line_start_) {
      std::size_t p = 0;
      while (p < buf_.size() && (buf_[p] == ' ' || buf_[p] == '\t')) ++p;
      std::size_t run = 0;
      while (p + run < buf_.size() && buf_[p + run] == fence_char_) ++run;
      const bool undecided = buf_.size() <= kMaxUndecidedFenceLine;
      if (p + run == buf_.size() && undecided) return false;
      if (run >= fence_run_) {
        const auto nl = buf_.find('\n', p + run);
        const auto line_end = nl == std::string::npos ? buf_.size() : nl;
        const bool closing = std::all_of(buf_.begin() + static_cast<std::ptrdiff_t>(p + run),
                                         buf_.begin() + static_cast<std::ptrdiff_t>(line_end),
                                         [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
        if (closing && nl != std::string::npos) {
          buf_.erase(0, nl + 1);
          in_code_ = false;
          line_start_ = true;
          return true;
        }
        if (closing && undecided) return false;  // wait for the end of the fence line
      }
    }
    const auto nl = buf_.find('\n');
    if (nl == std::string::npos) {
      buf_.clear();
      code_line_start_ = false;
      return false;
    }
    buf_.erase(0, nl + 1);
    code_line_start_ = true;
  }
}

bool SentenceSegmenter::skip_orphan_marks(bool at_end, bool& need_more) {
  std::size_t i = 0;
  while (i < buf_.size()) {
    const auto c = decode_utf8(buf_, i);
    if (!c.complete) break;
    const char32_t v = c.value;
    bool orphan = has(kFullSentenceMarks, v) || has(kFullCommaMarks, v) || has(kOrphanClosers, v);
    if (!orphan && (has(kAsciiSentenceMarks, v) || has(kAsciiCommaMarks, v))) {
      // ".NET", ".5", "~5": a mark glued to the word after it is part of it.
      const std::size_t next = i + c.length;
      if (next >= buf_.size()) {
        if (!at_end) {
          need_more = i == 0;
          break;
        }
        orphan = true;
      } else {
        orphan = !is_alnum(decode_utf8(buf_, next).value);
      }
    }
    if (!orphan) break;
    i += c.length;
  }
  if (i == 0) return false;
  buf_.erase(0, i);
  line_start_ = false;
  return true;
}

std::optional<SentenceSegmenter::Cut> SentenceSegmenter::find_cut(bool at_end) const {
  const bool first = !first_done_;
  const std::size_t need = first ? std::max<std::size_t>(opts_.min_first_chars, 1) : 1;
  std::size_t i = 0, chars = 0, content = 0;
  std::size_t soft_end = std::string::npos, soft_content = 0;
  char32_t prev = 0;
  while (i < buf_.size()) {
    const auto c = decode_utf8(buf_, i);
    if (!c.complete) {
      if (!at_end) return std::nullopt;
      return Cut{buf_.size(), content > 0};
    }
    if (chars == opts_.max_chars) {
      if (soft_end != std::string::npos && soft_content > 0) return Cut{soft_end, true};
      const auto end = safe_hard_cut(i);
      return Cut{end, count_content(std::string_view(buf_).substr(0, end)) > 0};
    }
    const char32_t v = c.value;
    const std::size_t next = i + c.length;
    ++chars;
    if (v == '\n' || v == '\r') return Cut{next, content > 0};

    const bool full_mark = has(kFullSentenceMarks, v) || (first && has(kFullCommaMarks, v));
    const bool ascii_mark = has(kAsciiSentenceMarks, v) || (first && has(kAsciiCommaMarks, v));
    if ((full_mark || ascii_mark) && content >= need) {
      const std::size_t budget = opts_.max_chars - chars;
      if (full_mark) {
        bool cut = true;
        if ((v == U'：' || v == U'，') && is_digit(prev)) {
          // "10：30", "1，000" typed full-width: the next character decides.
          if (next >= buf_.size()) {
            if (!at_end) return std::nullopt;
          } else {
            const auto n = decode_utf8(buf_, next);
            if (!n.complete && !at_end) return std::nullopt;
            cut = !is_digit(n.value);
          }
        }
        if (cut) return Cut{absorb_closers(next, budget), true};
      } else if (!(v == '.' && is_abbreviation_or_list_number(i))) {
        const std::size_t end = absorb_closers(next, budget);
        if (end >= buf_.size()) {
          if (!at_end) return std::nullopt;  // held: the next delta decides
          return Cut{end, true};
        }
        const auto n = decode_utf8(buf_, end);
        if (!n.complete) {
          if (!at_end) return std::nullopt;
          return Cut{end, true};
        }
        if (is_space(n.value) || is_cjk(n.value) || is_fullwidth_punctuation(n.value)) return Cut{end, true};
      }
    }
    if (is_space(v)) {
      soft_end = i;
      soft_content = content;
    } else if (has(kFullCommaMarks, v)) {
      soft_end = next;
      soft_content = content;
    }
    if (is_content(v)) ++content;
    prev = v;
    i = next;
  }
  if (at_end) return Cut{buf_.size(), content > 0};
  return std::nullopt;
}

std::size_t SentenceSegmenter::absorb_closers(std::size_t pos, std::size_t budget) const {
  while (pos < buf_.size() && budget > 0) {
    const auto c = decode_utf8(buf_, pos);
    if (!c.complete || !(has(kClosers, c.value) || is_any_mark(c.value))) break;
    pos += c.length;
    --budget;
  }
  return pos;
}

bool SentenceSegmenter::is_abbreviation_or_list_number(std::size_t dot) const {
  // The word before the dot: ASCII letters and inner dots ("e.g", "U.S").
  std::size_t b = dot;
  while (b > 0 && (is_alpha(static_cast<unsigned char>(buf_[b - 1])) || buf_[b - 1] == '.')) --b;
  const std::string_view word = std::string_view(buf_).substr(b, dot - b);
  if (!word.empty() && is_alpha(static_cast<unsigned char>(word.front())) &&
      (b == 0 || !is_alnum(static_cast<unsigned char>(buf_[b - 1])))) {
    if (word.find('.') != std::string_view::npos) return true;
    if (word.size() == 1 && word[0] >= 'A' && word[0] <= 'Z') return true;  // an initial: "J. K."
    static constexpr std::array<std::string_view, 21> kAbbreviations = {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "cf", "fig",
        "approx", "dept", "gen", "gov", "lt", "col", "sgt", "capt", "rev", "mt"};
    std::string lower;
    for (char ch : word) lower += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    if (std::find(kAbbreviations.begin(), kAbbreviations.end(), lower) != kAbbreviations.end()) return true;
  }
  // "1." opening a line is a list number.
  std::size_t d = dot;
  while (d > 0 && is_digit(static_cast<unsigned char>(buf_[d - 1]))) --d;
  return d == 0 && dot > 0 && line_start_;
}

std::size_t SentenceSegmenter::safe_hard_cut(std::size_t pos) const {
  std::size_t p = pos;
  while (p > 0) {
    const auto here = decode_utf8(buf_, p).value;
    const std::size_t before = prev_char_start(buf_, p);
    const auto prev = decode_utf8(buf_, before).value;
    if (!is_extender(here) && prev != 0x200D) break;
    p = before;
  }
  return p == 0 ? pos : p;
}

void SentenceSegmenter::emit(const Cut& cut, std::vector<std::string>& out) {
  std::string segment = buf_.substr(0, cut.end);
  const char last = cut.end > 0 ? buf_[cut.end - 1] : '\0';
  buf_.erase(0, cut.end);
  line_start_ = last == '\n' || last == '\r';
  while (!segment.empty()) {
    const auto start = prev_char_start(segment, segment.size());
    if (!is_space(decode_utf8(segment, start).value)) break;
    segment.erase(start);
  }
  if (cut.speakable && !segment.empty()) {
    out.push_back(std::move(segment));
    first_done_ = true;
  }
}

}  // namespace xz::pipeline
