// Which web pages may open a WebSocket, and whose address a request comes from: the
// pure rules the listeners apply (net/origin_policy.h, net/client_address.h).
#include <gtest/gtest.h>

#include "net/client_address.h"
#include "net/origin_policy.h"

using xz::net::HttpRequest;
using xz::net::OriginPolicy;

namespace {

HttpRequest upgrade(const std::string& host, const std::string& origin = {}) {
  HttpRequest r;
  r.method = "GET";
  r.headers["host"] = host;
  if (!origin.empty()) r.headers["origin"] = origin;
  return r;
}

HttpRequest with_headers(std::map<std::string, std::string> headers) {
  HttpRequest r;
  r.headers = std::move(headers);
  return r;
}

boost::asio::ip::address ip(const char* text) { return boost::asio::ip::make_address(text); }

}  // namespace

TEST(OriginPolicy, NoOriginIsFirmwareAndAlwaysAllowed) {
  OriginPolicy p({}, 8003);
  EXPECT_FALSE(p.refusal(upgrade("192.168.1.5:8000")));
}

TEST(OriginPolicy, ForeignPagesAreRefused) {
  OriginPolicy p({}, 8003);
  auto why = p.refusal(upgrade("192.168.1.5:8000", "http://evil.example"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("http://evil.example"), std::string::npos) << *why;
  EXPECT_TRUE(p.refusal(upgrade("192.168.1.5:8000", "null"))) << "a local file is not allowed unless listed";
  EXPECT_TRUE(p.refusal(upgrade("192.168.1.5:8000", "garbage")));
}

TEST(OriginPolicy, ListedOriginsAreAllowedAfterCanonicalisation) {
  OriginPolicy p({"HTTP://127.0.0.1:8006/", "null", "https://console.example"}, 8003);
  EXPECT_FALSE(p.refusal(upgrade("10.0.0.5:8000", "http://127.0.0.1:8006")));
  EXPECT_FALSE(p.refusal(upgrade("10.0.0.5:8000", "null")));
  EXPECT_FALSE(p.refusal(upgrade("10.0.0.5:8000", "https://console.example:443")));
  EXPECT_TRUE(p.refusal(upgrade("10.0.0.5:8000", "http://127.0.0.1:8007")));
  EXPECT_TRUE(p.refusal(upgrade("10.0.0.5:8000", "http://console.example")));
}

TEST(OriginPolicy, PagesWeServeOnOurHttpPortAreAllowed) {
  OriginPolicy p({}, 8003);
  EXPECT_FALSE(p.refusal(upgrade("192.168.1.5:8000", "http://192.168.1.5:8003")));
  EXPECT_FALSE(p.refusal(upgrade("localhost:8000", "http://localhost:8003")));
  EXPECT_FALSE(p.refusal(upgrade("[::1]:8000", "http://[::1]:8003")));
  EXPECT_FALSE(p.refusal(upgrade("192.168.1.5:8000", "https://192.168.1.5:8003")));
}

TEST(OriginPolicy, SameHostIsNotEnough) {
  OriginPolicy p({}, 8003);
  // Another service on our host, another port.
  EXPECT_TRUE(p.refusal(upgrade("192.168.1.5:8000", "http://192.168.1.5:8080")));
  // Our port on another host.
  EXPECT_TRUE(p.refusal(upgrade("192.168.1.5:8000", "http://192.168.1.6:8003")));
  // A DNS name can be re-pointed at us by its owner (DNS rebinding): listed or nothing.
  EXPECT_TRUE(p.refusal(upgrade("attacker.example:8000", "http://attacker.example:8003")));
  // No HTTP port, no pages of ours.
  OriginPolicy none({}, 0);
  EXPECT_TRUE(none.refusal(upgrade("192.168.1.5:8000", "http://192.168.1.5:8003")));
}

TEST(OriginPolicy, MalformedConfiguredOriginIsRefusedAtConstruction) {
  EXPECT_THROW(OriginPolicy({"192.168.1.5:8006"}, 8003), std::invalid_argument);
}

TEST(ClientAddress, ProxyHeadersFromAnUntrustedPeerAreIgnored) {
  xz::core::IpRanges none;
  auto r = with_headers({{"x-real-ip", "203.0.113.7"}, {"x-forwarded-for", "198.51.100.1"}});
  EXPECT_EQ(xz::net::client_address(ip("192.168.1.20"), r, none), "192.168.1.20");
  xz::core::IpRanges other({"10.0.0.0/8"});
  EXPECT_EQ(xz::net::client_address(ip("192.168.1.20"), r, other), "192.168.1.20");
}

TEST(ClientAddress, TrustedProxyReportsTheClient) {
  xz::core::IpRanges proxies({"10.0.0.0/8", "fd00::/8"});
  EXPECT_EQ(xz::net::client_address(ip("10.0.0.2"), with_headers({{"x-real-ip", " 203.0.113.7 "}}), proxies),
            "203.0.113.7");
  EXPECT_EQ(xz::net::client_address(ip("fd00::2"), with_headers({{"x-real-ip", "2001:db8::9"}}), proxies),
            "2001:db8::9");
  EXPECT_EQ(xz::net::client_address(ip("::ffff:10.0.0.2"), with_headers({{"x-real-ip", "203.0.113.7"}}), proxies),
            "203.0.113.7")
      << "an IPv4-mapped peer is the IPv4 proxy";
  // X-Forwarded-For: the right-most entry that is not a proxy of ours; the left part
  // was written by the client.
  auto fwd = with_headers({{"x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.9"}});
  EXPECT_EQ(xz::net::client_address(ip("10.0.0.2"), fwd, proxies), "203.0.113.7");
  // Garbage: the peer.
  EXPECT_EQ(xz::net::client_address(ip("10.0.0.2"), with_headers({{"x-real-ip", "somebody"}}), proxies), "10.0.0.2");
  EXPECT_EQ(xz::net::client_address(ip("10.0.0.2"), with_headers({}), proxies), "10.0.0.2");
}
