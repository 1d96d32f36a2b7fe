#pragma once
// Our HttpRequest from a request header Beast has parsed: the one conversion the server
// and the http_request fuzz target share.
#include <cctype>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>

#include "core/ip_ranges.h"
#include "net/client_address.h"
#include "net/http_types.h"

namespace xz::net {

// Path percent-decoded, query parsed, header names lower-cased, the client address taken
// from proxy headers only when `peer` is a trusted proxy. The body is left empty.
template <class Fields>
HttpRequest to_request(const boost::beast::http::request_header<Fields>& req, const boost::asio::ip::address& peer,
                       const core::IpRanges& trusted_proxies) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  auto q = r.target.find('?');
  r.path = percent_decode(std::string_view(r.target).substr(0, q));
  if (q != std::string::npos) r.query = parse_query(std::string_view(r.target).substr(q + 1));
  for (const auto& f : req) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  r.peer_ip = core::unmapped(peer).to_string();
  r.remote_ip = client_address(peer, r, trusted_proxies);
  // This listener has no TLS of its own: only a trusted proxy can say the browser used it.
  if (trusted_proxies.contains(peer)) {
    std::string proto = r.header("X-Forwarded-Proto");
    for (auto& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.secure = proto == "https";
  }
  return r;
}

}  // namespace xz::net
