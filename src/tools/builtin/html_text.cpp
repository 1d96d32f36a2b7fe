#include "tools/builtin/html_text.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "protocol/encoding.h"

namespace xz::tools::builtin {

using protocol::append_utf8;

namespace {

char lower_ascii(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals_at(std::string_view s, std::size_t pos, std::string_view lit) {
  if (pos + lit.size() > s.size()) return false;
  for (std::size_t i = 0; i < lit.size(); ++i)
    if (lower_ascii(s[pos + i]) != lit[i]) return false;
  return true;
}

// Position of `lit` (lower-case) in s at or after `from`, ignoring case; npos if none.
std::size_t ifind(std::string_view s, std::string_view lit, std::size_t from) {
  for (std::size_t i = from; i + lit.size() <= s.size(); ++i)
    if (iequals_at(s, i, lit)) return i;
  return std::string_view::npos;
}


// Decodes one reference at s[pos] == '&' into out; returns the bytes consumed (1 when it
// is no reference we know: the '&' is then kept as text).
std::size_t decode_reference(std::string_view s, std::size_t pos, std::string& out) {
  const std::size_t semi = s.substr(0, pos + 12).find(';', pos);  // a short window: linear over many '&'
  if (semi == std::string_view::npos) {
    out.push_back('&');
    return 1;
  }
  const std::string_view ref = s.substr(pos + 1, semi - pos - 1);
  struct Named {
    std::string_view name;
    char32_t cp;
  };
  static constexpr Named kNamed[] = {
      {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
      {"nbsp", ' '},     {"mdash", 0x2014}, {"ndash", 0x2013}, {"hellip", 0x2026}, {"ldquo", 0x201C},
      {"rdquo", 0x201D}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"middot", 0xB7},   {"copy", 0xA9},
      {"reg", 0xAE},     {"times", 0xD7},   {"bull", 0x2022},  {"laquo", 0xAB},    {"raquo", 0xBB},
  };
  for (const auto& n : kNamed)
    if (ref == n.name) {
      append_utf8(out, n.cp);
      return semi - pos + 1;
    }
  if (ref.size() >= 2 && ref[0] == '#') {
    const bool hex = ref[1] == 'x' || ref[1] == 'X';
    const std::string_view digits = ref.substr(hex ? 2 : 1);
    char32_t cp = 0;
    bool ok = !digits.empty();
    for (char d : digits) {
      int v = -1;
      if (std::isdigit(static_cast<unsigned char>(d))) v = d - '0';
      else if (hex && std::isxdigit(static_cast<unsigned char>(d))) v = lower_ascii(d) - 'a' + 10;
      if (v < 0 || cp > 0x10FFFF) {
        ok = false;
        break;
      }
      cp = cp * (hex ? 16 : 10) + static_cast<char32_t>(v);
    }
    if (ok && cp > 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF)) {
      append_utf8(out, cp < 0x20 ? U' ' : cp);
      return semi - pos + 1;
    }
  }
  out.push_back('&');
  return 1;
}

// Cuts to at most max_bytes at a character boundary, marking a cut with "...".
std::string cut(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t n = max_bytes > 3 ? max_bytes - 3 : 0;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  text.resize(n);
  return text + "...";
}

// Collapses runs of whitespace (and no-break spaces) to one space and trims.
std::string collapse(std::string_view s) {
  std::string out;
  bool space = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) ws = true, ++i;  // U+00A0
    if (c == 0xE3 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        static_cast<unsigned char>(s[i + 2]) == 0x80)
      ws = true, i += 2;  // U+3000
    if (ws) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>(c));
  }
  return out;
}

std::size_t utf8_chars(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// Elements whose content is never text.
bool raw_element(std::string_view name) {
  return name == "script" || name == "style" || name == "noscript" || name == "template" || name == "svg" ||
         name == "iframe" || name == "title";
}

// Elements that break the text into lines.
bool block_element(std::string_view name) {
  static constexpr std::string_view kBlocks[] = {"p",  "div", "br", "li", "ul", "ol", "h1", "h2", "h3",
                                                 "h4", "h5",  "h6", "tr", "td", "th", "table", "section",
                                                 "article", "header", "footer", "nav", "aside", "blockquote",
                                                 "pre", "hr", "dd", "dt", "figcaption", "main", "form"};
  return std::find(std::begin(kBlocks), std::end(kBlocks), name) != std::end(kBlocks);
}

// One pass over the markup, calling on_text(text) for character data and
// on_tag(name, closing) for tags. Raw elements, comments and declarations are skipped.
template <class OnText, class OnTag>
void scan_html(std::string_view s, OnText on_text, OnTag on_tag) {
  std::size_t i = 0;
  std::string text;
  std::vector<std::string> unclosed;  // raw elements with no end tag after some point: none later either
  auto flush = [&] {
    if (!text.empty()) on_text(text);
    text.clear();
  };
  while (i < s.size()) {
    const char c = s[i];
    if (c == '&') {
      i += decode_reference(s, i, text);
      continue;
    }
    if (c != '<') {
      text.push_back(c);
      ++i;
      continue;
    }
    if (s.compare(i, 4, "<!--") == 0) {
      const std::size_t end = s.find("-->", i + 4);
      i = end == std::string_view::npos ? s.size() : end + 3;
      continue;
    }
    const bool closing = i + 1 < s.size() && s[i + 1] == '/';
    const std::size_t name_at = i + (closing ? 2 : 1);
    if (name_at >= s.size() ||
        !(std::isalpha(static_cast<unsigned char>(s[name_at])) || s[name_at] == '!' || s[name_at] == '?')) {
      text.push_back('<');  // a lone '<' is text
      ++i;
      continue;
    }
    // The tag runs to the next '>' outside quotes.
    std::size_t j = name_at;
    char quote = 0;
    while (j < s.size() && (quote || s[j] != '>')) {
      if (quote && s[j] == quote) quote = 0;
      else if (!quote && (s[j] == '"' || s[j] == '\'') && j > name_at && s[j - 1] == '=') quote = s[j];
      ++j;
    }
    std::string name;
    for (std::size_t k = name_at; k < j && (std::isalnum(static_cast<unsigned char>(s[k]))); ++k)
      name.push_back(lower_ascii(s[k]));
    const std::size_t after = j < s.size() ? j + 1 : s.size();
    flush();
    if (s[name_at] == '!' || s[name_at] == '?' || name.empty()) {
      i = after;
      continue;
    }
    const bool self_closing = j > name_at && j < s.size() && s[j - 1] == '/';
    if (!closing && !self_closing && raw_element(name)) {
      // Skip to </name>, whatever it contains.
      std::string end_tag = "</" + name;
      const bool known_unclosed = std::find(unclosed.begin(), unclosed.end(), name) != unclosed.end();
      std::size_t end = known_unclosed ? std::string_view::npos : ifind(s, end_tag, after);
      while (end != std::string_view::npos && end + end_tag.size() < s.size() &&
             std::isalnum(static_cast<unsigned char>(s[end + end_tag.size()])))
        end = ifind(s, end_tag, end + 1);
      if (end == std::string_view::npos) {  // never closed: only the tag is dropped
        if (!known_unclosed) unclosed.push_back(name);
        i = after;
        continue;
      }
      const std::size_t gt = s.find('>', end);
      i = gt == std::string_view::npos ? s.size() : gt + 1;
      continue;
    }
    on_tag(name, closing);
    i = after;
  }
  flush();
}

}  // namespace

std::string utf8_sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = len > 0 && i + len <= text.size();
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok && (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string html_inline_text(std::string_view html, std::size_t max_bytes) {
  std::string all;
  scan_html(
      html, [&](const std::string& t) { all += t; },
      [&](const std::string& name, bool) {
        if (block_element(name)) all.push_back(' ');
      });
  return cut(collapse(utf8_sanitize(all)), max_bytes);
}

std::string html_article_text(std::string_view html, std::size_t max_bytes, std::size_t min_line_chars) {
  std::vector<std::string> paragraphs;
  std::string paragraph;
  bool in_p = false;
  std::string body;  // every text, blocks as lines: the fallback
  bool in_body = ifind(html, "<body", 0) == std::string_view::npos;
  auto end_paragraph = [&] {
    if (in_p) paragraphs.push_back(std::move(paragraph));
    paragraph.clear();
    in_p = false;
  };
  scan_html(
      html,
      [&](const std::string& t) {
        if (in_p) paragraph += t;
        if (in_body) body += t;
      },
      [&](const std::string& name, bool closing) {
        if (name == "body" && !closing) in_body = true;
        if (name == "p") {
          end_paragraph();
          in_p = !closing;
        } else if (name == "br") {
          if (in_p) paragraph.push_back(' ');
        } else if (block_element(name) && name != "br") {
          end_paragraph();
        }
        if (block_element(name) && in_body) body.push_back('\n');
      });
  end_paragraph();
  std::string out;
  auto add_line = [&](std::string_view raw) {
    std::string line = collapse(utf8_sanitize(raw));
    if (line.empty() || utf8_chars(line) < min_line_chars) return true;
    if (!out.empty()) out.push_back('\n');
    out += line;
    return out.size() <= max_bytes;
  };
  for (const auto& p : paragraphs)
    if (!add_line(p)) break;
  if (out.empty()) {
    std::size_t start = 0;
    while (start < body.size()) {
      std::size_t nl = body.find('\n', start);
      if (nl == std::string::npos) nl = body.size();
      if (!add_line(std::string_view(body).substr(start, nl - start))) break;
      start = nl + 1;
    }
  }
  return cut(std::move(out), max_bytes);
}

std::string declared_charset(std::string_view text) {
  const std::string_view head = text.substr(0, 8192);
  std::size_t at = ifind(head, "charset", 0);
  std::size_t skip = 7;
  if (at == std::string_view::npos && head.substr(0, 5) == "<?xml") {
    at = ifind(head, "encoding", 0);
    skip = 8;
  }
  if (at == std::string_view::npos) return {};
  std::size_t i = at + skip;
  while (i < head.size() && (head[i] == ' ' || head[i] == '=' || head[i] == '"' || head[i] == '\'')) ++i;
  std::string out;
  while (i < head.size() && out.size() < 40 &&
         (std::isalnum(static_cast<unsigned char>(head[i])) || head[i] == '-' || head[i] == '_'))
    out.push_back(lower_ascii(head[i++]));
  return out;
}

}  // namespace xz::tools::builtin
