#include "protocol/python_json.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace xz::protocol {
namespace {

void append_u_escape(std::string& out, unsigned v) { out += fmt::format("\\u{:04x}", v); }

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if it is invalid.
std::size_t decode_utf8(std::string_view s, std::size_t i, unsigned& cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (len == 0 || c > 0xF4 || i + len > s.size()) return 0;
  cp = len == 4 ? (c & 0x07u) : len == 3 ? (c & 0x0Fu) : (c & 0x1Fu);
  for (std::size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3Fu);
  }
  const unsigned min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

std::string python_json_string(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          // Python escapes everything outside printable ASCII, DEL included.
          if (c < 0x20 || c == 0x7f) append_u_escape(out, c);
          else out += char(c);
      }
      ++i;
      continue;
    }
    unsigned cp = 0;
    const std::size_t len = decode_utf8(s, i, cp);
    if (len == 0) {
      append_u_escape(out, 0xFFFD);
      ++i;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      append_u_escape(out, 0xD800 + (cp >> 10));
      append_u_escape(out, 0xDC00 + (cp & 0x3FF));
    } else {
      append_u_escape(out, cp);
    }
    i += len;
  }
  out += '"';
  return out;
}

std::string python_float_repr(double v) {
  if (!std::isfinite(v)) throw std::invalid_argument("python_float_repr: not a finite number");
  // fmt's default float format has Python's digits and switch points, minus the ".0".
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

}  // namespace xz::protocol
