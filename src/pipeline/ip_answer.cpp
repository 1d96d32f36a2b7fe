#include "pipeline/ip_answer.h"

#include <iconv.h>

#include <cctype>
#include <cerrno>

#include <nlohmann/json.hpp>

namespace xz::pipeline {

namespace {

class IconvHandle {
 public:
  IconvHandle(const char* to, const char* from) : cd_(iconv_open(to, from)) {}
  ~IconvHandle() {
    if (ok()) iconv_close(cd_);
  }
  IconvHandle(const IconvHandle&) = delete;
  IconvHandle& operator=(const IconvHandle&) = delete;
  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }
  iconv_t get() const { return cd_; }

 private:
  iconv_t cd_;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool utf8_charset_name(std::string_view charset) {
  std::string lower;
  for (char c : charset) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return lower == "utf-8" || lower == "utf8";
}

}  // namespace

std::string gbk_to_utf8(std::string_view gbk) {
  std::string out;
  // GBK: ASCII bytes stand for themselves; a lead byte 0x81-0xFE starts a pair.
  IconvHandle cd("UTF-8", "GBK");
  if (!cd.ok()) {
    for (char c : gbk) out += static_cast<unsigned char>(c) < 0x80 ? std::string(1, c) : std::string("\xEF\xBF\xBD");
    return out;
  }
  out.reserve(gbk.size() * 3 / 2 + 8);
  std::string in(gbk);
  char* src = in.data();
  std::size_t left = in.size();
  char buf[1024];
  while (left > 0) {
    char* dst = buf;
    std::size_t room = sizeof buf;
    const std::size_t r = iconv(cd.get(), &src, &left, &dst, &room);
    out.append(buf, static_cast<std::size_t>(dst - buf));
    if (r == static_cast<std::size_t>(-1)) {
      if (errno == E2BIG) continue;
      // EILSEQ or EINVAL (a cut pair at the end): one replacement, one byte skipped.
      out += "\xEF\xBF\xBD";
      ++src;
      --left;
      iconv(cd.get(), nullptr, nullptr, nullptr, nullptr);
    }
  }
  return out;
}

std::string city_from_ip_answer(std::string_view body, std::string_view charset) {
  const std::string text = utf8_charset_name(charset) ? std::string(body) : gbk_to_utf8(body);
  std::string_view s = trim(text);
  // JSONP: if(window.IPCallBack) {IPCallBack({...});}
  if (!s.empty() && s.front() != '{') {
    const auto open = s.find("({");
    const auto close = s.rfind("})");
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) return "";
    s = s.substr(open + 1, close - open);
  }
  auto j = nlohmann::json::parse(s, nullptr, false);
  if (!j.is_object()) return "";
  auto it = j.find("city");
  if (it == j.end() || !it->is_string()) return "";
  return std::string(trim(it->get<std::string>()));
}

}  // namespace xz::pipeline
