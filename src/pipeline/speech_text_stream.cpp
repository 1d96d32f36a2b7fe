#include "pipeline/speech_text_stream.h"

#include <algorithm>

namespace xz::pipeline {

namespace {

// Full-width and CJK punctuation and ideographs join across lines without a space.
bool tight(char32_t c) { return is_cjk(c) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF); }

char32_t first_char(std::string_view s) { return s.empty() ? 0 : decode_utf8(s, 0).value; }

char32_t last_char(std::string_view s) {
  if (s.empty()) return 0;
  std::size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return decode_utf8(s, i).value;
}

// A line that is only markers so far ("#", "- ", "1.", "> ", "***"): it may still become
// a heading, a list item, a quote or a rule.
bool only_markers(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) {
    return c == '#' || c == '>' || c == '-' || c == '*' || c == '+' || c == '=' || c == '_' || c == '.' ||
           c == ')' || c == ' ' || c == '\t' || (c >= '0' && c <= '9');
  });
}

}  // namespace

void SpeechTextStream::reset(const ReplacementWords* words) {
  words_ = words;
  markdown_ = MarkdownLines{};
  line_.clear();
  line_sent_.clear();
  line_started_ = false;
  space_sent_ = false;
  last_char_ = 0;
  pending_.clear();
}

std::size_t SpeechTextStream::stable_prefix(std::string_view line) const {
  const auto start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos) return 0;
  const char c0 = line[start];
  // Fences, tables (and a row of an open one), and bare markers wait for the line's end.
  if (c0 == '`' || c0 == '|' || c0 == '~' || (markdown_.in_table() && line.find('|') != std::string_view::npos) ||
      only_markers(line))
    return 0;
  // The longest prefix that ends at a word boundary and holds no unclosed markup.
  std::size_t limit = line.size();
  for (;;) {
    const std::size_t b = last_boundary(line, limit);
    // A prefix of only markers ("- ", "## ") would be cleaned as text.
    if (b == 0 || only_markers(line.substr(0, b))) return 0;
    const std::size_t open = first_unclosed(line.substr(0, b));
    if (open == std::string_view::npos) return b;
    limit = open;
  }
}

// The last word boundary at or before `limit`: after a space, or after a CJK character or
// mark (CJK has no spaces between words). 0 when there is none.
std::size_t SpeechTextStream::last_boundary(std::string_view line, std::size_t limit) {
  std::size_t best = 0;
  for (std::size_t i = 0; i < limit;) {
    const auto cp = decode_utf8(line, i);
    if (!cp.complete) break;
    const std::size_t end = i + cp.length;
    if (end > limit) break;
    if (cp.value == ' ' || cp.value == '\t' || tight(cp.value)) best = end;
    i = end;
  }
  return best;
}

// Where the first markup construct that `s` opens but does not close starts (npos: none).
std::size_t SpeechTextStream::first_unclosed(std::string_view s) {
  std::size_t limit = std::string_view::npos;
  auto at = [&](std::size_t p) { limit = std::min(limit, p); };
  std::size_t star_runs = 0, star_at = 0, tilde_runs = 0, tilde_at = 0;
  std::size_t ticks = 0, tick_at = 0, dollars = 0, dollar_at = 0;
  std::size_t bracket_depth = 0, bracket_at = 0, angle_at = std::string_view::npos;
  bool paren_open = false;
  std::size_t paren_at = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (c == '*' || c == '~' || c == '`') {
      std::size_t j = i;
      while (j < s.size() && s[j] == c) ++j;
      if (c == '*' && star_runs++ % 2 == 0) star_at = i;
      if (c == '~' && tilde_runs++ % 2 == 0) tilde_at = i;
      if (c == '`' && ticks++ % 2 == 0) tick_at = i;
      i = j - 1;
    } else if (c == '$') {
      if (dollars++ % 2 == 0) dollar_at = i;
    } else if (c == '[') {
      if (bracket_depth++ == 0) bracket_at = i;
    } else if (c == ']' && bracket_depth > 0) {
      if (--bracket_depth == 0 && i + 1 < s.size() && s[i + 1] == '(') {
        paren_open = true;
        paren_at = bracket_at;
      } else if (bracket_depth == 0 && i + 1 == s.size()) {
        at(bracket_at);  // "[text]" may still get its "(url)"
      }
    } else if (c == ')' && paren_open) {
      paren_open = false;
    } else if (c == '<') {
      if (angle_at == std::string_view::npos) angle_at = i;
    } else if (c == '>') {
      angle_at = std::string_view::npos;
    }
  }
  if (star_runs % 2) at(star_at);
  if (tilde_runs % 2) at(tilde_at);
  if (ticks % 2) at(tick_at);
  if (dollars % 2) at(dollar_at);
  if (bracket_depth) at(bracket_at);
  if (paren_open) at(paren_at);
  if (angle_at != std::string_view::npos) at(angle_at);
  return limit;
}

std::string SpeechTextStream::emit(std::string text, bool at_end) {
  pending_ += text;
  if (!words_) {
    std::string out = std::move(pending_);
    pending_.clear();
    return out;
  }
  return words_->apply_streamed(pending_, at_end);
}

// `cleaned` is the whole of the current line's cleaned text so far: releases what is
// new. `space_after`: the cut is at a space, which cleaning drops at the end of a line
// but belongs between this part and the next, so it is sent now.
std::string SpeechTextStream::release_line_part(std::string cleaned, bool space_after) {
  std::size_t common = 0;
  while (common < cleaned.size() && common < line_sent_.size() && cleaned[common] == line_sent_[common]) ++common;
  // Cleaning more of the line normally only extends what was released; where it changed
  // an earlier part, what was already said stays said.
  if (common < line_sent_.size()) {
    common = std::min(line_sent_.size(), cleaned.size());
    while (common < cleaned.size() && (static_cast<unsigned char>(cleaned[common]) & 0xC0) == 0x80) ++common;
  }
  std::string fresh = cleaned.substr(common);
  if (space_sent_ && !fresh.empty() && fresh.front() == ' ') fresh.erase(0, 1);
  if (fresh.empty()) return {};
  std::string out;
  if (!line_started_ && last_char_ != 0 && !tight(last_char_) && !tight(first_char(fresh))) out += ' ';
  out += fresh;
  space_sent_ = space_after;
  if (space_after) out += ' ';
  line_started_ = true;
  line_sent_ = std::move(cleaned);
  last_char_ = last_char(out);
  return out;
}

std::string SpeechTextStream::push(std::string_view delta) {
  std::string out;
  line_.append(delta);
  for (;;) {
    const auto nl = line_.find('\n');
    if (nl == std::string::npos) break;
    const std::string line = line_.substr(0, nl);
    line_.erase(0, nl + 1);
    std::string cleaned = markdown_.clean_line(line);
    out += emit(release_line_part(std::move(cleaned), false), false);
    line_sent_.clear();
    line_started_ = false;
    space_sent_ = false;
  }
  if (!markdown_.in_code()) {
    const std::size_t stable = stable_prefix(line_);
    if (stable > 0) {
      // The cut is after a space or a CJK mark: trailing spaces are dropped by cleaning,
      // so the space between this part and the next comes back with the next part.
      std::string cleaned = markdown_.preview(std::string_view(line_).substr(0, stable));
      const bool space = line_[stable - 1] == ' ' || line_[stable - 1] == '\t';
      out += emit(release_line_part(std::move(cleaned), space), false);
    }
  }
  return out;
}

std::string SpeechTextStream::finish() {
  std::string out;
  if (!line_.empty()) {
    std::string cleaned = markdown_.clean_line(line_);
    line_.clear();
    out += emit(release_line_part(std::move(cleaned), false), true);
  } else {
    out += emit({}, true);
  }
  line_sent_.clear();
  line_started_ = false;
  space_sent_ = false;
  // A space kept at a cut that nothing followed.
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace xz::pipeline
