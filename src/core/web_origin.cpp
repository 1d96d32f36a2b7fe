#include "core/web_origin.h"

#include <cctype>
#include <charconv>

namespace xz::core {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || s.size() > 5 || ec != std::errc() || p != s.data() + s.size() || v == 0 || v > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

}  // namespace

std::optional<HostPort> parse_host_header(std::string_view text) {
  HostPort out;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close < 2) return std::nullopt;
    std::string_view v6 = text.substr(1, close - 1);
    for (char c : v6)
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return std::nullopt;
    out.host = lower(v6);
    rest = text.substr(close + 1);
  } else {
    auto colon = text.find(':');
    std::string_view name = text.substr(0, colon);
    if (name.empty() || name.size() > 253) return std::nullopt;
    for (char c : name)
      if (!host_char(c)) return std::nullopt;
    out.host = lower(name);
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  if (!rest.empty()) {
    if (rest.front() != ':') return std::nullopt;
    auto port = parse_port(rest.substr(1));
    if (!port) return std::nullopt;
    out.port = port;
  }
  return out;
}

std::optional<WebOrigin> parse_origin(std::string_view text) {
  auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  WebOrigin o;
  o.scheme = lower(text.substr(0, sep));
  for (char c : o.scheme)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return std::nullopt;
  std::string_view authority = text.substr(sep + 3);
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  if (authority.find_first_of("/?#@ ") != std::string_view::npos) return std::nullopt;
  auto hp = parse_host_header(authority);
  if (!hp) return std::nullopt;
  o.host = std::move(hp->host);
  if (hp->port) {
    o.port = *hp->port;
  } else if (o.scheme == "http" || o.scheme == "ws") {
    o.port = 80;
  } else if (o.scheme == "https" || o.scheme == "wss") {
    o.port = 443;
  } else {
    return std::nullopt;  // no default port to compare with
  }
  return o;
}

std::optional<std::string> allowed_origin_problem(std::string_view entry) {
  if (entry == "null" || parse_origin(entry)) return std::nullopt;
  return "'" + std::string(entry) + "' is not an origin (scheme://host[:port] such as http://192.168.1.5:8080, or null)";
}

std::string to_string(const WebOrigin& o) {
  std::string host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  const bool default_port = ((o.scheme == "http" || o.scheme == "ws") && o.port == 80) ||
                            ((o.scheme == "https" || o.scheme == "wss") && o.port == 443);
  return o.scheme + "://" + host + (default_port ? "" : ":" + std::to_string(o.port));
}

}  // namespace xz::core
