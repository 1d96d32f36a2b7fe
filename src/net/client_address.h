#pragma once
// Whose request this is. X-Real-IP and X-Forwarded-For are believed only when the TCP
// peer is one of server.trusted_proxies: anyone else could write any address there.
#include <string>

#include <boost/asio/ip/address.hpp>

#include "core/ip_ranges.h"
#include "net/http_types.h"

namespace xz::net {

// The peer when it is not a trusted proxy. From a trusted proxy: X-Real-IP when it is an
// address, else the right-most X-Forwarded-For entry that is not itself a trusted proxy
// (entries further left were written by the client and prove nothing), else the peer.
std::string client_address(const boost::asio::ip::address& peer, const HttpRequest& req,
                           const core::IpRanges& trusted_proxies);

}  // namespace xz::net
