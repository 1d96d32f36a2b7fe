#include "pipeline/speech_text.h"

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace xz::pipeline {

// ---------------------------------------------------------------- UTF-8 helpers

CodePoint decode_utf8(std::string_view s, std::size_t pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) return {b0, 1, true};
  std::size_t len = 0;
  char32_t cp = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // > U+10FFFF
  } else {
    return {0xFFFD, 1, true};
  }
  for (std::size_t k = 1; k < len; ++k) {
    if (pos + k >= s.size()) return {0xFFFD, s.size() - pos, false};
    const auto b = static_cast<unsigned char>(s[pos + k]);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return {0xFFFD, 1, true};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {cp, len, true};
}


namespace {

bool in(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

// Full-width and CJK punctuation: text joined across a line break needs no space.
bool is_cjk_punctuation(char32_t c) { return in(c, 0x3000, 0x303F) || in(c, 0xFF00, 0xFFEF); }

// Start of the last code point of a non-empty string.
std::size_t last_char_start(std::string_view s) {
  std::size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

}  // namespace

bool is_cjk(char32_t c) {
  return in(c, 0x1100, 0x11FF) || in(c, 0x2E80, 0x2FDF) || in(c, 0x3005, 0x3007) ||
         in(c, 0x3021, 0x3029) || (in(c, 0x3040, 0x30FF) && c != 0x30FB) || in(c, 0x3100, 0x318F) ||
         in(c, 0x31A0, 0x31BF) || in(c, 0x31F0, 0x31FF) || in(c, 0x3400, 0x4DBF) ||
         in(c, 0x4E00, 0x9FFF) || in(c, 0xA960, 0xA97F) || in(c, 0xAC00, 0xD7AF) ||
         in(c, 0xF900, 0xFAFF) || in(c, 0xFF66, 0xFFDC) || in(c, 0x20000, 0x323AF);
}

bool is_emoji(char32_t c) {
  return in(c, 0x1F000, 0x1FAFF) ||                    // pictographs, emoticons, flags, skin tones
         in(c, 0x2600, 0x27BF) ||                      // misc symbols, dingbats
         c == 0x231A || c == 0x231B || c == 0x2328 || c == 0x23CF || in(c, 0x23E9, 0x23F3) ||
         in(c, 0x23F8, 0x23FA) || in(c, 0x2B05, 0x2B07) || c == 0x2B1B || c == 0x2B1C ||
         c == 0x2B50 || c == 0x2B55 || c == 0x3030 || c == 0x303D || c == 0x3297 || c == 0x3299 ||
         in(c, 0xFE00, 0xFE0F) ||                      // variation selectors
         c == 0x20E3 ||                                // keycap
         in(c, 0xE0020, 0xE007F);                      // tag sequences (subdivision flags)
}

bool is_space(char32_t c) {
  return c == ' ' || in(c, 0x09, 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         in(c, 0x2000, 0x200B) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000 || c == 0xFEFF;
}

bool is_punctuation(char32_t c) {
  if (c < 0x80) return in(c, 0x21, 0x2F) || in(c, 0x3A, 0x40) || in(c, 0x5B, 0x60) || in(c, 0x7B, 0x7E);
  return (in(c, 0xA1, 0xBF) && c != 0xAA && c != 0xB2 && c != 0xB3 && c != 0xB5 && c != 0xB9 &&
          c != 0xBA && !in(c, 0xBC, 0xBE)) ||
         c == 0xD7 || c == 0xF7 || in(c, 0x2010, 0x2027) || in(c, 0x2030, 0x205E) ||
         in(c, 0x2190, 0x2BFF) || in(c, 0x2E00, 0x2E7F) || in(c, 0x3001, 0x3004) ||
         in(c, 0x3008, 0x3020) || c == 0x3030 || in(c, 0x303D, 0x303F) || c == 0x30FB ||
         in(c, 0xFE10, 0xFE1F) || in(c, 0xFE30, 0xFE6F) || in(c, 0xFF01, 0xFF0F) ||
         in(c, 0xFF1A, 0xFF20) || in(c, 0xFF3B, 0xFF40) || in(c, 0xFF5B, 0xFF65);
}

// ---------------------------------------------------------------- markdown

namespace {

// Literal `*`, `_`, `~` (escaped or inside code) are parked on these bytes while the
// emphasis pass runs, so it cannot take them for markers.
constexpr char kLiteralStar = '\x01';
constexpr char kLiteralUnderscore = '\x02';
constexpr char kLiteralTilde = '\x03';

char protect(char c) {
  switch (c) {
    case '*': return kLiteralStar;
    case '_': return kLiteralUnderscore;
    case '~': return kLiteralTilde;
    default: return c;
  }
}

char unprotect(char c) {
  switch (c) {
    case kLiteralStar: return '*';
    case kLiteralUnderscore: return '_';
    case kLiteralTilde: return '~';
    default: return c;
  }
}

bool ascii_space(char c) { return c == ' ' || c == '\t'; }
bool ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool ascii_alnum(char c) { return ascii_alpha(c) || (c >= '0' && c <= '9'); }
bool ascii_punct(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 0x21 && u <= 0x2F) || (u >= 0x3A && u <= 0x40) || (u >= 0x5B && u <= 0x60) ||
         (u >= 0x7B && u <= 0x7E) || (u >= 1 && u <= 3);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (ascii_space(s.front()) || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (ascii_space(s.back()) || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// Runs of spaces/tabs -> one space; trimmed.
std::string collapse_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending = false;
  for (char c : trim(s)) {
    if (ascii_space(c)) {
      pending = true;
      continue;
    }
    if (pending) out += ' ';
    pending = false;
    out += c;
  }
  return out;
}

std::string drop_display_math(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  for (;;) {
    const auto open = text.find("$$", i);
    if (open == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, open - i));
    const auto close = text.find("$$", open + 2);
    if (close == std::string_view::npos) break;  // unclosed: the rest is the formula
    i = close + 2;
  }
  return out;
}

struct Fence {
  char ch;
  std::size_t run;
};

std::optional<Fence> fence_of(std::string_view line) {
  // Only backtick fences: a line starting "~~~" is ordinary chat text too often.
  auto t = trim(line);
  if (t.size() < 3 || t[0] != '`') return std::nullopt;
  std::size_t run = 0;
  while (run < t.size() && t[run] == t[0]) ++run;
  if (run < 3) return std::nullopt;
  return Fence{t[0], run};
}

bool closes_fence(std::string_view line, const Fence& open) {
  auto f = fence_of(line);
  if (!f || f->ch != open.ch || f->run < open.run) return false;
  return trim(trim(line).substr(f->run)).empty();
}

bool is_table_separator(std::string_view line) {
  auto t = trim(line);
  if (t.find('|') == std::string_view::npos || t.find('-') == std::string_view::npos) return false;
  return std::all_of(t.begin(), t.end(), [](char c) { return c == '|' || c == '-' || c == ':' || ascii_space(c); });
}

bool is_horizontal_rule(std::string_view line) {
  auto t = trim(line);
  if (t.empty() || (t[0] != '-' && t[0] != '*' && t[0] != '_' && t[0] != '=')) return false;
  std::size_t marks = 0;
  for (char c : t) {
    if (c == t[0]) ++marks;
    else if (!ascii_space(c)) return false;
  }
  return marks >= 3;
}

std::string_view strip_block_quote(std::string_view line) {
  std::size_t i = 0;
  std::size_t after = 0;
  for (;;) {
    while (i < line.size() && ascii_space(line[i])) ++i;
    if (i >= line.size() || line[i] != '>') break;
    ++i;
    if (i < line.size() && line[i] == ' ') ++i;
    after = i;
  }
  return line.substr(after);
}

std::string_view strip_heading(std::string_view line) {
  auto t = trim(line);
  std::size_t n = 0;
  while (n < t.size() && t[n] == '#') ++n;
  if (n == 0 || n > 6 || (n < t.size() && !ascii_space(t[n]))) return line;
  t = trim(t.substr(n));
  // Optional closing sequence: "## Title ##".
  std::size_t end = t.size();
  while (end > 0 && t[end - 1] == '#') --end;
  if (end < t.size() && (end == 0 || ascii_space(t[end - 1]))) t = trim(t.substr(0, end));
  return t;
}

std::string_view strip_list_marker(std::string_view line) {
  auto t = trim(line);
  if (t.size() >= 2 && (t[0] == '-' || t[0] == '*' || t[0] == '+') && ascii_space(t[1])) {
    t = trim(t.substr(2));
    if (t.size() >= 3 && t[0] == '[' && (t[1] == ' ' || t[1] == 'x' || t[1] == 'X') && t[2] == ']') {
      t = trim(t.substr(3));  // task list box
    }
  }
  return t;
}

struct Span {
  std::string_view text;
  std::size_t end;  // index just past the construct
};

// `[text](url)` or `[text][ref]` starting at s[open] == '['.
std::optional<Span> parse_link(std::string_view s, std::size_t open) {
  int depth = 0;
  std::size_t j = open;
  for (; j < s.size(); ++j) {
    if (s[j] == '\\') {
      ++j;
    } else if (s[j] == '[') {
      ++depth;
    } else if (s[j] == ']' && --depth == 0) {
      break;
    }
  }
  if (j >= s.size()) return std::nullopt;
  const auto text = s.substr(open + 1, j - open - 1);
  const std::size_t k = j + 1;
  if (k < s.size() && s[k] == '(') {
    depth = 0;
    for (std::size_t m = k; m < s.size(); ++m) {
      if (s[m] == '\\') {
        ++m;
      } else if (s[m] == '(') {
        ++depth;
      } else if (s[m] == ')' && --depth == 0) {
        return Span{text, m + 1};
      }
    }
    return std::nullopt;
  }
  if (k < s.size() && s[k] == '[') {
    const auto close = s.find(']', k + 1);
    if (close != std::string_view::npos) return Span{text, close + 1};
  }
  return std::nullopt;
}

bool is_html_tag_name(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "a",    "abbr",  "b",     "big",   "blockquote", "br",    "center", "cite", "code",  "dd",
      "del",  "details", "div", "dl",    "dt",         "em",    "font",   "h1",   "h2",    "h3",
      "h4",   "h5",    "h6",    "hr",    "i",          "img",   "ins",    "kbd",  "li",    "mark",
      "ol",   "p",     "pre",   "q",     "s",          "small", "span",   "strike", "strong", "sub",
      "summary", "sup", "table", "tbody", "td",        "tfoot", "th",     "thead", "tr",   "u",
      "ul"};
  std::string lower;
  for (char c : name) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return std::find(std::begin(kNames), std::end(kNames), lower) != std::end(kNames);
}

struct Tag {
  std::string_view keep;  // what the tag leaves in the text
  std::size_t end;
};

// An HTML comment, a known HTML tag, or an autolink `<https://…>` at s[i] == '<'.
std::optional<Tag> parse_tag(std::string_view s, std::size_t i) {
  if (s.substr(i, 4) == "<!--") {
    const auto close = s.find("-->", i + 4);
    if (close == std::string_view::npos) return std::nullopt;
    return Tag{{}, close + 3};
  }
  const auto gt = s.find('>', i + 1);
  if (gt == std::string_view::npos) return std::nullopt;
  const auto inner = s.substr(i + 1, gt - i - 1);
  if (inner.find('<') != std::string_view::npos) return std::nullopt;
  if (inner.find("://") != std::string_view::npos && inner.find(' ') == std::string_view::npos) {
    return Tag{inner, gt + 1};
  }
  std::size_t p = inner.starts_with('/') ? 1 : 0;
  std::size_t q = p;
  while (q < inner.size() && ascii_alnum(inner[q])) ++q;
  if (q == p || !is_html_tag_name(inner.substr(p, q - p))) return std::nullopt;
  if (q < inner.size() && !ascii_space(inner[q]) && inner[q] != '/') return std::nullopt;
  const bool line_break = inner.substr(p, q - p) == "br" || inner.substr(p, q - p) == "BR";
  return Tag{line_break ? std::string_view(" ") : std::string_view(), gt + 1};
}

// Everything inline except emphasis; literal `*_~` come out protected.
std::string inline_pass(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\\' && i + 1 < s.size() && ascii_punct(s[i + 1])) {
      out += protect(s[i + 1]);
      i += 2;
      continue;
    }
    if (c == '`') {
      std::size_t run = 0;
      while (i + run < s.size() && s[i + run] == '`') ++run;
      // Find a closing run of exactly the same length.
      std::size_t search = i + run;
      std::optional<std::size_t> close;
      while (search < s.size()) {
        const auto at = s.find('`', search);
        if (at == std::string_view::npos) break;
        std::size_t r = 0;
        while (at + r < s.size() && s[at + r] == '`') ++r;
        if (r == run) {
          close = at;
          break;
        }
        search = at + r;
      }
      if (close) {
        auto code = s.substr(i + run, *close - i - run);
        if (code.size() >= 2 && code.front() == ' ' && code.back() == ' ') code = code.substr(1, code.size() - 2);
        for (char k : code) out += protect(k);
        i = *close + run;
      } else {
        i += run;  // a stray backtick is markup noise
      }
      continue;
    }
    if (c == '!' && i + 1 < s.size() && s[i + 1] == '[') {
      if (auto img = parse_link(s, i + 1)) {
        i = img->end;
        continue;
      }
    }
    if (c == '[') {
      if (auto link = parse_link(s, i)) {
        out += inline_pass(link->text);
        i = link->end;
        continue;
      }
    }
    if (c == '<') {
      if (auto tag = parse_tag(s, i)) {
        out.append(tag->keep);
        i = tag->end;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

// Removes paired emphasis (`*`, `**`, `***`, `_`…, `~~`) using CommonMark's flanking
// rules, except that non-ASCII neighbours count as letters (so CJK text next to a
// marker works). Unpaired markers stay as written.
std::string strip_emphasis(const std::string& s) {
  struct Run {
    std::size_t pos, len;
    char ch;
    bool can_open, can_close;
    bool removed = false;
  };
  std::vector<Run> runs;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c != '*' && c != '_' && c != '~') {
      ++i;
      continue;
    }
    std::size_t len = 0;
    while (i + len < s.size() && s[i + len] == c) ++len;
    const bool usable = c == '~' ? len == 2 : len <= 3;
    if (usable) {
      const char prev = i == 0 ? ' ' : s[i - 1];
      const char next = i + len >= s.size() ? ' ' : s[i + len];
      const bool prev_space = ascii_space(prev), next_space = ascii_space(next);
      const bool prev_punct = ascii_punct(prev), next_punct = ascii_punct(next);
      const bool left = !next_space && (!next_punct || prev_space || prev_punct);
      const bool right = !prev_space && (!prev_punct || next_space || next_punct);
      bool can_open = left, can_close = right;
      if (c == '_') {
        can_open = left && (!right || prev_punct);
        can_close = right && (!left || next_punct);
      }
      runs.push_back({i, len, c, can_open, can_close});
    }
    i += len;
  }
  std::vector<std::size_t> openers;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    auto& run = runs[r];
    if (run.can_close) {
      auto it = std::find_if(openers.rbegin(), openers.rend(), [&](std::size_t o) {
        return runs[o].ch == run.ch && runs[o].len == run.len;
      });
      if (it != openers.rend()) {
        runs[*it].removed = true;
        run.removed = true;
        openers.erase(std::next(it).base(), openers.end());
        continue;
      }
    }
    if (run.can_open) openers.push_back(r);
  }
  std::string out;
  out.reserve(s.size());
  std::size_t next_run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    while (next_run < runs.size() && runs[next_run].pos + runs[next_run].len <= i) ++next_run;
    if (next_run < runs.size() && runs[next_run].removed && i >= runs[next_run].pos) continue;
    out += unprotect(s[i]);
  }
  return out;
}

std::string clean_inline(std::string_view s) { return collapse_spaces(strip_emphasis(inline_pass(s))); }

bool has_pipe(std::string_view line) { return line.find('|') != std::string_view::npos; }

// "| a | b |" -> "a, b." ("a，b。" when the row is mostly CJK).
std::string spoken_row(std::string_view line) {
  std::vector<std::string> cells;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i < line.size() && line[i] == '\\') {
      ++i;
      continue;
    }
    if (i == line.size() || line[i] == '|') {
      auto cell = clean_inline(line.substr(start, i - start));
      if (!cell.empty()) cells.push_back(std::move(cell));
      start = i + 1;
    }
  }
  if (cells.empty()) return {};
  std::string joined_raw;
  for (const auto& c : cells) joined_raw += c;
  const bool cjk = is_mostly_cjk(joined_raw);
  std::string out;
  for (std::size_t k = 0; k < cells.size(); ++k) {
    if (k > 0) out += cjk ? "，" : ", ";
    out += cells[k];
  }
  const auto last = decode_utf8(out, last_char_start(out)).value;
  const bool ends_sentence = last == '.' || last == '!' || last == '?' || last == U'。' || last == U'！' ||
                             last == U'？';
  if (!ends_sentence) out += cjk ? "。" : ".";
  return out;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    auto line = text.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = nl + 1;
  }
  return lines;
}

}  // namespace

std::string clean_markdown(std::string_view text) {
  // Control bytes are never speech; dropping them also frees the placeholder bytes.
  std::string src;
  src.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\n' && c != '\t') continue;
    if (u == 0x7F) continue;
    src += c;
  }
  src = drop_display_math(src);
  const auto lines = split_lines(src);

  std::vector<std::string> out;
  std::optional<Fence> fence;
  bool in_table = false;
  for (std::size_t n = 0; n < lines.size(); ++n) {
    const auto line = lines[n];
    if (fence) {
      if (closes_fence(line, *fence)) fence.reset();
      continue;
    }
    if (auto f = fence_of(line)) {
      fence = f;
      continue;
    }
    if (is_table_separator(line)) {
      in_table = true;
      continue;
    }
    const bool next_is_separator = n + 1 < lines.size() && is_table_separator(lines[n + 1]);
    if (has_pipe(line) && (trim(line).starts_with('|') || next_is_separator || in_table)) {
      in_table = true;
      if (auto row = spoken_row(trim(line)); !row.empty()) out.push_back(std::move(row));
      continue;
    }
    in_table = false;
    if (is_horizontal_rule(line)) continue;
    auto body = strip_list_marker(strip_heading(strip_block_quote(line)));
    auto cleaned = clean_inline(body);
    if (!cleaned.empty()) out.push_back(std::move(cleaned));
  }
  std::string result;
  for (const auto& l : out) {
    if (!result.empty()) result += '\n';
    result += l;
  }
  return result;
}

std::string MarkdownLines::clean_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (fence_run_) {
    if (auto f = fence_of(line); f && f->run >= fence_run_ && trim(trim(line).substr(f->run)).empty()) fence_run_ = 0;
    return {};
  }
  if (auto f = fence_of(line)) {
    fence_run_ = f->run;
    return {};
  }
  if (is_table_separator(line)) {
    in_table_ = true;
    return {};
  }
  if (has_pipe(line) && (trim(line).starts_with('|') || in_table_)) {
    in_table_ = true;
    return collapse_spaces(remove_emoji(spoken_row(trim(line))));
  }
  in_table_ = false;
  return preview(line);
}

std::string MarkdownLines::preview(std::string_view line) const {
  if (fence_run_) return {};
  return collapse_spaces(remove_emoji(clean_markdown(line)));
}

// ---------------------------------------------------------------- emoji

std::string remove_emoji(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool removed_run = false;  // the previous code point was removed as (part of) an emoji
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = decode_utf8(text, i);
    const std::size_t next = i + c.length;
    char32_t follower = 0;
    if (next < text.size()) follower = decode_utf8(text, next).value;
    // U+FE0F (emoji presentation) or a keycap after a character makes it an emoji.
    const bool drop = is_emoji(c.value) || (c.value == 0x200D && removed_run) ||
                      (follower == 0xFE0F || follower == 0x20E3);
    if (drop) {
      removed_run = true;
    } else {
      const bool doubled_space = c.value == ' ' && removed_run && (out.empty() || out.back() == ' ');
      if (!doubled_space) out.append(text.substr(i, c.length));
      removed_run = false;
    }
    i = next;
  }
  if (removed_run) {
    while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  return out;
}

std::string strip_edge_punctuation(std::string_view text) {
  static constexpr std::u32string_view kStrip = U"，,。.！!“”\"：:-－、[]【】";
  auto strip = [](char32_t c) {
    return is_space(c) || is_emoji(c) || c == 0x200D || kStrip.find(c) != std::u32string_view::npos;
  };
  std::size_t begin = 0;
  while (begin < text.size()) {
    const auto c = decode_utf8(text, begin);
    if (!strip(c.value)) break;
    begin += c.length;
  }
  std::size_t end = text.size();
  while (end > begin) {
    const std::size_t start = last_char_start(text.substr(0, end));
    if (!strip(decode_utf8(text, start).value)) break;
    end = start;
  }
  return std::string(text.substr(begin, end - begin));
}

bool is_mostly_cjk(std::string_view text) {
  std::size_t cjk = 0, latin_words = 0;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = decode_utf8(text, i);
    const bool latin = (c.value < 0x80 && ascii_alpha(static_cast<char>(c.value))) ||
                       (c.value >= 0xC0 && c.value <= 0x24F && c.value != 0xD7 && c.value != 0xF7);
    if (latin && !in_word) ++latin_words;
    in_word = latin;
    if (is_cjk(c.value)) ++cjk;
    i += c.length;
  }
  return cjk > latin_words;
}

// ---------------------------------------------------------------- replacements

ReplacementWords::ReplacementWords(std::span<const std::string> entries) {
  for (const auto& entry : entries) {
    const auto bar = entry.find('|');
    const auto from = trim(std::string_view(entry).substr(0, bar));
    if (bar == std::string::npos || from.empty()) {
      throw std::invalid_argument("replacement word \"" + entry +
                                  "\": expected \"original|replacement\" with a non-empty original");
    }
    const auto to = trim(std::string_view(entry).substr(bar + 1));
    auto same = std::find_if(rules_.begin(), rules_.end(), [&](const Rule& r) { return r.from == from; });
    if (same != rules_.end()) {
      same->to = std::string(to);
    } else {
      rules_.push_back({std::string(from), std::string(to)});
    }
  }
  std::stable_sort(rules_.begin(), rules_.end(),
                   [](const Rule& a, const Rule& b) { return a.from.size() > b.from.size(); });
  for (std::uint32_t k = 0; k < rules_.size(); ++k) {
    by_first_[static_cast<unsigned char>(rules_[k].from[0])].push_back(k);
  }
}

std::string ReplacementWords::apply(std::string_view text) const {
  if (rules_.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const Rule* match = nullptr;
    for (auto k : by_first_[static_cast<unsigned char>(text[i])]) {
      if (text.substr(i).starts_with(rules_[k].from)) {
        match = &rules_[k];
        break;  // longest first
      }
    }
    if (match) {
      out += match->to;
      i += match->from.size();
    } else {
      const auto len = decode_utf8(text, i).length;
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string ReplacementWords::apply_streamed(std::string& pending, bool at_end) const {
  if (at_end || rules_.empty()) {
    std::string out = apply(pending);
    pending.clear();
    return out;
  }
  // apply()'s walk, stopping where a rule could still match with bytes yet to come.
  std::string out;
  std::size_t i = 0;
  while (i < pending.size()) {
    const std::string_view rest = std::string_view(pending).substr(i);
    const Rule* match = nullptr;
    bool open = false;
    for (auto k : by_first_[static_cast<unsigned char>(pending[i])]) {
      const auto& from = rules_[k].from;
      if (from.size() > rest.size()) {
        if (std::string_view(from).starts_with(rest)) {
          open = true;
          break;
        }
      } else if (!match && rest.starts_with(from)) {
        match = &rules_[k];  // longest full match; a longer open one was checked first
      }
    }
    if (open) break;
    if (match) {
      out += match->to;
      i += match->from.size();
    } else {
      const auto c = decode_utf8(pending, i);
      if (!c.complete) break;  // the rest of a UTF-8 sequence is still to come
      out.append(rest.substr(0, c.length));
      i += c.length;
    }
  }
  pending.erase(0, i);
  return out;
}

// ---------------------------------------------------------------- combined

std::string for_subtitle(std::string_view text) {
  const auto cleaned = remove_emoji(clean_markdown(text));
  std::string out;
  for (auto line : split_lines(cleaned)) {
    const auto piece = collapse_spaces(line);
    if (piece.empty()) continue;
    if (!out.empty()) {
      // Lines of CJK text join without a space; other scripts need one.
      const auto last = decode_utf8(out, last_char_start(out)).value;
      const auto first = decode_utf8(piece, 0).value;
      const bool tight = is_cjk(last) || is_cjk_punctuation(last) || is_cjk(first) || is_cjk_punctuation(first);
      if (!tight) out += ' ';
    }
    out += piece;
  }
  return out;
}

std::string for_speech(std::string_view text) { return for_subtitle(text); }

std::string for_speech(std::string_view text, const ReplacementWords& words) {
  return words.apply(for_subtitle(text));
}

}  // namespace xz::pipeline
