#pragma once
// The origin of a web page (RFC 6454) as a browser sends it in the Origin header
// ("http://192.168.1.5:8003"), and the Host header it sends with a request. Pure.
// Used for server.allowed_origins (config validation) and the WebSocket origin check.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xz::core {

struct WebOrigin {
  std::string scheme;  // lower case
  std::string host;    // lower case; an IPv6 address without brackets
  std::uint16_t port = 0;  // explicit, else the scheme's default (80, 443)
};

// "scheme://host[:port]" (a trailing '/' tolerated) -> its parts; nullopt for anything
// else, including "null" (an opaque origin: file:// pages, sandboxed frames).
std::optional<WebOrigin> parse_origin(std::string_view text);
// The canonical text: lower case, default port omitted ("http://example.com").
std::string to_string(const WebOrigin& origin);
// Why `entry` cannot be listed in server.allowed_origins (an origin, or "null"), or
// nullopt when it can.
std::optional<std::string> allowed_origin_problem(std::string_view entry);

struct HostPort {
  std::string host;  // lower case; IPv6 without brackets
  std::optional<std::uint16_t> port;
};
// A Host header value ("example.com", "10.0.0.1:8000", "[::1]:8000"); nullopt when malformed.
std::optional<HostPort> parse_host_header(std::string_view text);

}  // namespace xz::core
