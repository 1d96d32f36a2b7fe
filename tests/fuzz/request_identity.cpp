// Who a request says it is (net/client_address, net/origin_policy, core/web_origin,
// session/identity): the proxy headers, the Origin and Host of a WebSocket upgrade, the
// device and client ids. Input: lines "peer", "x-real-ip", "x-forwarded-for", "origin",
// "host", "device-id", "client-id". Properties: a peer that is no proxy is never
// overridden; what a trusted proxy reports is an IP address; an origin we list is allowed;
// an id we accept holds no token separator.
#include "core/ip_ranges.h"
#include "core/web_origin.h"
#include "fuzz/fuzz_check.h"
#include "net/client_address.h"
#include "net/origin_policy.h"
#include "session/identity.h"

using namespace xz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::as_text(data, size);
  std::string fields[7];
  for (auto& f : fields) {
    const auto nl = in.find('\n');
    f = std::string(in.substr(0, nl));
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  }
  net::HttpRequest req;
  req.method = "GET";
  req.path = req.target = "/xiaozhi/v1/";
  const char* names[] = {"x-real-ip", "x-forwarded-for", "origin", "host", "device-id", "client-id"};
  for (int i = 0; i < 6; ++i)
    if (!fields[i + 1].empty()) req.headers[names[i]] = fields[i + 1];

  static const core::IpRanges proxies({"127.0.0.1", "10.0.0.0/8", "fd00::/8"});
  const auto peer = core::parse_ip(fields[0]);
  if (peer) {
    const std::string who = net::client_address(*peer, req, proxies);
    if (!proxies.contains(*peer)) FUZZ_CHECK(who == core::unmapped(*peer).to_string() || who == peer->to_string());
    else FUZZ_CHECK(core::parse_ip(who).has_value());
  }

  static const net::OriginPolicy policy({"http://console.example:8080", "null"}, 8003);
  const auto refusal = policy.refusal(req);
  if (fields[3].empty()) FUZZ_CHECK(!refusal);
  if (fields[3] == "null" || fields[3] == "http://console.example:8080") FUZZ_CHECK(!refusal);
  if (const auto origin = core::parse_origin(fields[3])) {
    const auto again = core::parse_origin(core::to_string(*origin));
    FUZZ_CHECK(again && again->scheme == origin->scheme && again->host == origin->host && again->port == origin->port);
  }
  (void)core::parse_host_header(fields[4]);
  (void)core::allowed_origin_problem(fields[3]);

  const auto id = session::identity_from_request(req);
  if (session::is_valid_device_id(id.device_id))
    FUZZ_CHECK(id.device_id.find(session::kTokenFieldSeparator) == std::string::npos);
  if (!session::client_id_problem(id.client_id))
    FUZZ_CHECK(id.client_id.find(session::kTokenFieldSeparator) == std::string::npos && id.client_id.size() <= 128);
  (void)session::normalize_device_id(id.device_id);
  return 0;
}
