#include "tools/builtin/xml_document.h"

#include <cctype>

#include <fmt/format.h>

#include "protocol/encoding.h"

namespace xz::tools::builtin {

using protocol::append_utf8;

const XmlElement* XmlElement::child(std::string_view child_name) const {
  for (const auto& c : children)
    if (c.name == child_name) return &c;
  return nullptr;
}

std::string XmlElement::attribute(std::string_view attr_name) const {
  for (const auto& [k, v] : attributes)
    if (k == attr_name) return v;
  return {};
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    char32_t cp = 0;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07;
    else return false;
    if (i + len > text.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool name_start(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalpha(u) || c == '_' || c == ':' || u >= 0x80;
}

bool name_char(char c) {
  return name_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}


bool xml_char(char32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         (cp >= 0x10000 && cp <= 0x10FFFF);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, const XmlLimits& limits) : s_(text), limits_(limits) {}

  XmlElement run() {
    if (s_.size() > limits_.max_bytes) fail(fmt::format("the document is larger than {} bytes", limits_.max_bytes));
    if (!valid_utf8(s_)) fail("the document is not valid UTF-8");
    for (unsigned char c : s_)
      if (c < 0x20 && !is_space(static_cast<char>(c))) fail(fmt::format("control character 0x{:02x}", c));
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    prolog();
    XmlElement root = content();
    epilogue();
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw XmlError(fmt::format("XML at byte {}: {}", pos_, what)); }

  bool at(std::string_view lit) const { return s_.substr(pos_, lit.size()) == lit; }
  bool eof() const { return pos_ >= s_.size(); }
  void skip_space() {
    while (!eof() && is_space(s_[pos_])) ++pos_;
  }
  // Moves past the next `end`; fails when there is none.
  std::string_view until(std::string_view end, const char* what) {
    const std::size_t found = s_.find(end, pos_);
    if (found == std::string_view::npos) fail(fmt::format("{} is not closed", what));
    std::string_view inside = s_.substr(pos_, found - pos_);
    pos_ = found + end.size();
    return inside;
  }

  void xml_declaration() {
    pos_ += 5;  // "<?xml"
    const std::string_view decl = until("?>", "the XML declaration");
    const std::size_t e = decl.find("encoding");
    if (e == std::string_view::npos) return;
    std::size_t q = decl.find_first_of("\"'", e);
    if (q == std::string_view::npos) fail("bad encoding in the XML declaration");
    const std::size_t q2 = decl.find(decl[q], q + 1);
    if (q2 == std::string_view::npos) fail("bad encoding in the XML declaration");
    const std::string enc = lower(decl.substr(q + 1, q2 - q - 1));
    if (enc != "utf-8" && enc != "utf8" && enc != "us-ascii" && enc != "ascii")
      fail(fmt::format("encoding '{}' is not supported (UTF-8 only)", enc));
  }

  void doctype() {
    pos_ += 9;  // "<!DOCTYPE"
    while (!eof() && s_[pos_] != '>') {
      if (s_[pos_] == '[') fail("a DOCTYPE with an internal subset (entity declarations) is refused");
      if (s_[pos_] == '"' || s_[pos_] == '\'') {
        const char q = s_[pos_++];
        until(std::string_view(&q, 1), "a DOCTYPE literal");
        continue;
      }
      ++pos_;
    }
    if (eof()) fail("the DOCTYPE is not closed");
    ++pos_;
  }

  // Comments, processing instructions and whitespace; true when one was skipped.
  bool misc() {
    skip_space();
    if (at("<!--")) {
      pos_ += 4;
      until("-->", "a comment");
      return true;
    }
    if (at("<?")) {
      if (at("<?xml") && pos_ + 5 < s_.size() && (is_space(s_[pos_ + 5]) || s_[pos_ + 5] == '?'))
        fail("an XML declaration is only allowed at the start");
      pos_ += 2;
      until("?>", "a processing instruction");
      return true;
    }
    return false;
  }

  void prolog() {
    if (at("<?xml") && pos_ + 5 < s_.size() && (is_space(s_[pos_ + 5]) || s_[pos_ + 5] == '?')) xml_declaration();
    bool seen_doctype = false;
    for (;;) {
      if (misc()) continue;
      if (at("<!DOCTYPE")) {
        if (seen_doctype) fail("a second DOCTYPE");
        seen_doctype = true;
        doctype();
        continue;
      }
      break;
    }
    if (eof()) fail("no root element");
    if (s_[pos_] != '<' || pos_ + 1 >= s_.size() || !name_start(s_[pos_ + 1])) fail("expected the root element");
  }

  void epilogue() {
    while (misc()) {
    }
    if (!eof()) fail("content after the root element");
  }

  std::string name() {
    const std::size_t start = pos_;
    if (eof() || !name_start(s_[pos_])) fail("expected a name");
    while (!eof() && name_char(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  // Character data up to `stop` (exclusive), with references decoded.
  void decode(std::string_view raw, std::string& out) {
    std::size_t i = 0;
    while (i < raw.size()) {
      const std::size_t amp = raw.find('&', i);
      out.append(raw.substr(i, amp == std::string_view::npos ? std::string_view::npos : amp - i));
      if (amp == std::string_view::npos) return;
      const std::size_t semi = raw.find(';', amp);
      if (semi == std::string_view::npos || semi - amp > 12) fail("a '&' that starts no reference");
      const std::string_view ref = raw.substr(amp + 1, semi - amp - 1);
      if (ref == "amp") out.push_back('&');
      else if (ref == "lt") out.push_back('<');
      else if (ref == "gt") out.push_back('>');
      else if (ref == "quot") out.push_back('"');
      else if (ref == "apos") out.push_back('\'');
      else if (ref.size() >= 2 && ref[0] == '#') {
        const bool hex = ref[1] == 'x';
        const std::string_view digits = ref.substr(hex ? 2 : 1);
        if (digits.empty()) fail("an empty character reference");
        char32_t cp = 0;
        for (char d : digits) {
          const int v = std::isdigit(static_cast<unsigned char>(d)) ? d - '0'
                        : hex && std::isxdigit(static_cast<unsigned char>(d))
                            ? std::tolower(static_cast<unsigned char>(d)) - 'a' + 10
                            : -1;
          if (v < 0) fail(fmt::format("bad character reference &{};", ref));
          cp = cp * (hex ? 16 : 10) + static_cast<char32_t>(v);
          if (cp > 0x10FFFF) fail(fmt::format("character reference &{}; is out of range", ref));
        }
        if (!xml_char(cp)) fail(fmt::format("character reference &{}; is not an XML character", ref));
        append_utf8(out, cp);
      } else {
        fail(fmt::format("unknown entity &{};", ref));
      }
      i = semi + 1;
    }
  }

  // Reads a start tag at '<'; returns true when it was empty ("<a/>").
  bool start_tag(XmlElement& el) {
    ++pos_;
    el.name = name();
    for (;;) {
      const std::size_t before = pos_;
      skip_space();
      if (eof()) fail(fmt::format("<{}> is not closed", el.name));
      if (at("/>")) {
        pos_ += 2;
        return true;
      }
      if (s_[pos_] == '>') {
        ++pos_;
        return false;
      }
      if (pos_ == before) fail(fmt::format("expected whitespace before an attribute of <{}>", el.name));
      std::string key = name();
      skip_space();
      if (eof() || s_[pos_] != '=') fail(fmt::format("attribute {} of <{}> has no value", key, el.name));
      ++pos_;
      skip_space();
      if (eof() || (s_[pos_] != '"' && s_[pos_] != '\'')) fail(fmt::format("attribute {} is not quoted", key));
      const char q = s_[pos_++];
      const std::string_view raw = until(std::string_view(&q, 1), "an attribute value");
      if (raw.find('<') != std::string_view::npos) fail(fmt::format("'<' in attribute {}", key));
      for (const auto& [k, v] : el.attributes)
        if (k == key) fail(fmt::format("attribute {} is repeated", key));
      std::string value;
      decode(raw, value);
      el.attributes.emplace_back(std::move(key), std::move(value));
    }
  }

  XmlElement content() {
    std::vector<XmlElement> open;
    std::size_t elements = 0;
    auto open_element = [&] {
      if (++elements > limits_.max_elements) fail(fmt::format("more than {} elements", limits_.max_elements));
      if (open.size() + 1 > limits_.max_depth) fail(fmt::format("nesting deeper than {} levels", limits_.max_depth));
      XmlElement el;
      const bool empty = start_tag(el);
      open.push_back(std::move(el));
      return empty;
    };
    // Closes the innermost element; true when it was the root.
    auto close = [&]() -> bool {
      if (open.size() == 1) return true;
      XmlElement done = std::move(open.back());
      open.pop_back();
      open.back().children.push_back(std::move(done));
      return false;
    };
    if (open_element() && close()) return std::move(open.back());
    for (;;) {
      if (eof()) fail(fmt::format("<{}> is not closed at the end of the document", open.back().name));
      if (s_[pos_] != '<') {
        const std::size_t lt = s_.find('<', pos_);
        const std::string_view raw = s_.substr(pos_, lt == std::string_view::npos ? std::string_view::npos : lt - pos_);
        decode(raw, open.back().text);
        pos_ += raw.size();
        continue;
      }
      if (at("</")) {
        pos_ += 2;
        const std::string closing = name();
        skip_space();
        if (eof() || s_[pos_] != '>') fail(fmt::format("</{}> is not closed", closing));
        ++pos_;
        if (closing != open.back().name)
          fail(fmt::format("</{}> closes <{}>", closing, open.back().name));
        if (close()) return std::move(open.back());
      } else if (at("<!--")) {
        pos_ += 4;
        until("-->", "a comment");
      } else if (at("<![CDATA[")) {
        pos_ += 9;
        open.back().text.append(until("]]>", "a CDATA section"));
      } else if (at("<?")) {
        pos_ += 2;
        until("?>", "a processing instruction");
      } else if (at("<!")) {
        fail("markup declarations are not allowed in content");
      } else {
        if (open_element() && close()) return std::move(open.back());
      }
    }
  }

  std::string_view s_;
  XmlLimits limits_;
  std::size_t pos_ = 0;
};

}  // namespace

XmlElement parse_xml(std::string_view text, const XmlLimits& limits) { return Parser(text, limits).run(); }

}  // namespace xz::tools::builtin
