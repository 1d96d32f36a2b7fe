#include "net/origin_policy.h"

#include <algorithm>
#include <stdexcept>

#include "core/ip_ranges.h"
#include "core/web_origin.h"

namespace xz::net {

namespace {

std::optional<std::string> canonical(const std::string& entry) {
  if (entry == "null") return entry;
  auto o = core::parse_origin(entry);
  if (!o) return std::nullopt;
  return core::to_string(*o);
}

}  // namespace

OriginPolicy::OriginPolicy(const std::vector<std::string>& allowed, std::uint16_t own_http_port)
    : own_http_port_(own_http_port) {
  for (const auto& e : allowed) {
    auto c = canonical(e);
    if (!c) throw std::invalid_argument("server.allowed_origins: " + *core::allowed_origin_problem(e));
    allowed_.push_back(std::move(*c));
  }
}

std::optional<std::string> OriginPolicy::refusal(const HttpRequest& upgrade) const {
  auto it = upgrade.headers.find("origin");
  if (it == upgrade.headers.end()) return std::nullopt;  // not a browser: firmware, tools
  const std::string& text = it->second;
  if (text == "null") {
    if (std::find(allowed_.begin(), allowed_.end(), "null") != allowed_.end()) return std::nullopt;
    return "origin 'null' (a page opened from a file) is not in server.allowed_origins";
  }
  auto origin = core::parse_origin(text);
  if (!origin) return "malformed Origin header";
  if (std::find(allowed_.begin(), allowed_.end(), core::to_string(*origin)) != allowed_.end()) return std::nullopt;

  if (own_http_port_ != 0 && (origin->scheme == "http" || origin->scheme == "https") &&
      origin->port == own_http_port_) {
    auto host = core::parse_host_header(upgrade.header("host"));
    const bool literal = origin->host == "localhost" || core::parse_ip(origin->host).has_value();
    if (host && host->host == origin->host && literal) return std::nullopt;  // a page we served
  }
  return "origin '" + core::to_string(*origin) + "' is not in server.allowed_origins";
}

}  // namespace xz::net
