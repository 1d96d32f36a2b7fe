#pragma once
// Which web pages may open a WebSocket to us. Firmware sends no Origin header; a
// browser always does, so an upgrade with an Origin comes from a web page, and a page
// from anywhere on the LAN could otherwise act as any device.
//
// An upgrade with an Origin is accepted when the origin is listed in
// server.allowed_origins ("null" included: pages opened from a file), or when the page
// was served by us: its scheme is http or https, its host is the host the upgrade was
// sent to (the Host header) AND an IP address or "localhost", and its port is our HTTP
// port. A DNS name is not enough: a page on an attacker's name could re-point that name
// to our address (DNS rebinding) and pass as ours; pages reached by name are listed.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/http_types.h"

namespace xz::net {

class OriginPolicy {
 public:
  // `allowed`: origins as configured ("http://host:port" or "null"); `own_http_port`:
  // the port our pages are served on (0 = none). Throws std::invalid_argument naming a
  // malformed entry.
  OriginPolicy(const std::vector<std::string>& allowed, std::uint16_t own_http_port);

  // nullopt when the upgrade may go on; else why it is refused (for the 403 and the log).
  std::optional<std::string> refusal(const HttpRequest& upgrade) const;

 private:
  std::vector<std::string> allowed_;  // canonical origins, or "null"
  std::uint16_t own_http_port_;
};

}  // namespace xz::net
