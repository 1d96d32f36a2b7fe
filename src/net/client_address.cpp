#include "net/client_address.h"

#include <string_view>

#include "core/text.h"

namespace xz::net {

std::string client_address(const boost::asio::ip::address& peer, const HttpRequest& req,
                           const core::IpRanges& trusted_proxies) {
  const std::string peer_text = core::unmapped(peer).to_string();
  if (!trusted_proxies.contains(peer)) return peer_text;
  if (auto real = core::parse_ip(core::trim(req.header("X-Real-IP")))) return core::unmapped(*real).to_string();
  std::string forwarded = req.header("X-Forwarded-For");
  std::string_view rest = forwarded;
  while (!rest.empty()) {
    auto comma = rest.rfind(',');
    std::string_view entry = core::trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    auto address = core::parse_ip(entry);
    if (!address) break;  // garbage: trust nothing further left
    if (!trusted_proxies.contains(*address)) return core::unmapped(*address).to_string();
  }
  return peer_text;
}

}  // namespace xz::net
