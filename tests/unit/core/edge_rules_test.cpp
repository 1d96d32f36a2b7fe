// The pure rules behind the edge's security settings: IP ranges (trusted proxies, cap
// exemptions), web origins (allowed_origins) and their validation at start-up.
#include <gtest/gtest.h>

#include "core/config.h"
#include "core/config_schema.h"
#include "core/default_config.h"
#include "core/ip_ranges.h"
#include "core/web_origin.h"

using xz::core::IpRanges;

namespace {

std::vector<std::string> problems_with(const std::string& key, nlohmann::json value) {
  auto root = xz::core::Config::parse_yaml(xz::core::default_config_yaml(), "defaults");
  xz::core::set_path(root, key, std::move(value));
  return xz::core::validate_config(root);
}

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  for (const auto& p : problems)
    if (p.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(IpRanges, SingleAddressesAndCidrsOfBothFamilies) {
  IpRanges r({"10.0.0.1", "192.168.0.0/16", "::1", "fd00::/8", "172.16.0.0/12"});
  EXPECT_TRUE(r.contains("10.0.0.1"));
  EXPECT_FALSE(r.contains("10.0.0.2"));
  EXPECT_TRUE(r.contains("192.168.255.7"));
  EXPECT_FALSE(r.contains("192.169.0.1"));
  EXPECT_TRUE(r.contains("172.31.255.255"));
  EXPECT_FALSE(r.contains("172.32.0.0"));
  EXPECT_TRUE(r.contains("::1"));
  EXPECT_FALSE(r.contains("::2"));
  EXPECT_TRUE(r.contains("fd12:3456::1"));
  EXPECT_FALSE(r.contains("fe80::1"));
  EXPECT_FALSE(r.contains("not an address"));
}

TEST(IpRanges, MappedIpv4PeersMatchIpv4Entries) {
  // A listener bound to "::" sees IPv4 clients as ::ffff:a.b.c.d.
  IpRanges r({"10.1.0.0/16"});
  EXPECT_TRUE(r.contains("::ffff:10.1.2.3"));
  EXPECT_FALSE(r.contains("::ffff:10.2.2.3"));
  IpRanges mapped({"::ffff:127.0.0.1"});
  EXPECT_TRUE(mapped.contains("127.0.0.1"));
}

TEST(IpRanges, PrefixEdgesAndTheWholeSpace) {
  IpRanges r({"10.0.0.0/31", "0.0.0.0/0"});
  EXPECT_TRUE(r.contains("8.8.8.8")) << "/0 holds every IPv4 address";
  EXPECT_FALSE(r.contains("2001:db8::1")) << "but no IPv6 one";
  IpRanges odd({"10.0.0.0/31"});
  EXPECT_TRUE(odd.contains("10.0.0.1"));
  EXPECT_FALSE(odd.contains("10.0.0.2"));
  IpRanges v6({"2001:db8::/33"});
  EXPECT_TRUE(v6.contains("2001:db8:7fff::1"));
  EXPECT_FALSE(v6.contains("2001:db8:8000::1"));
}

TEST(IpRanges, MalformedEntriesAreRefusedByName) {
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.1/", "10.0.0", "example.com", "10.0.0.0/8x", ""}) {
    EXPECT_TRUE(xz::core::ip_range_problem(bad).has_value()) << bad;
    EXPECT_THROW(IpRanges({bad}), std::invalid_argument) << bad;
  }
  EXPECT_FALSE(xz::core::ip_range_problem("10.0.0.0/8").has_value());
}

TEST(WebOrigin, ParsesAndCanonicalises) {
  auto o = xz::core::parse_origin("HTTP://Example.COM:80/");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->scheme, "http");
  EXPECT_EQ(o->host, "example.com");
  EXPECT_EQ(o->port, 80);
  EXPECT_EQ(xz::core::to_string(*o), "http://example.com");
  auto v6 = xz::core::parse_origin("http://[::1]:8003");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(xz::core::to_string(*v6), "http://[::1]:8003");
  EXPECT_EQ(xz::core::parse_origin("https://10.0.0.5")->port, 443);
  for (const char* bad : {"null", "example.com", "http://", "http://a.com/path", "http://a.com:99999",
                          "http://user@a.com", "chrome-extension://abc", "http://a b"})
    EXPECT_FALSE(xz::core::parse_origin(bad)) << bad;
}

TEST(WebOrigin, HostHeaders) {
  auto h = xz::core::parse_host_header("192.168.1.5:8000");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->host, "192.168.1.5");
  EXPECT_EQ(h->port, 8000);
  auto v6 = xz::core::parse_host_header("[FE80::1]:8000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "fe80::1");
  EXPECT_FALSE(xz::core::parse_host_header("a.com:x"));
  EXPECT_FALSE(xz::core::parse_host_header(""));
  EXPECT_FALSE(xz::core::parse_host_header("a.com/b"));
}

TEST(EdgeConfig, ShortAdminTokenIsRefusedWithTheRule) {
  auto problems = problems_with("server.admin_token", "short-token");
  ASSERT_TRUE(mentions(problems, "server.admin_token")) << (problems.empty() ? "" : problems[0]);
  EXPECT_TRUE(mentions(problems, "at least 32 are required"));
  EXPECT_FALSE(mentions(problems_with("server.admin_token", std::string(32, 'x')), "server.admin_token"));
  EXPECT_FALSE(mentions(problems_with("server.admin_token", ""), "server.admin_token")) << "empty = API off";
}

TEST(EdgeConfig, OriginsAndAddressListsAreCheckedEntryByEntry) {
  EXPECT_TRUE(mentions(problems_with("server.allowed_origins", nlohmann::json::array({"http://ok.example:8006", "ok.example"})),
                       "server.allowed_origins: 'ok.example'"));
  EXPECT_TRUE(problems_with("server.allowed_origins", nlohmann::json::array({"null", "http://127.0.0.1:8006"})).empty());
  EXPECT_TRUE(mentions(problems_with("server.trusted_proxies", nlohmann::json::array({"10.0.0.0/8", "10.0.0.0/40"})),
                       "server.trusted_proxies: '10.0.0.0/40'"));
  EXPECT_TRUE(mentions(problems_with("server.connections.per_ip_exempt", nlohmann::json::array({"nope"})), "per_ip_exempt"));
  EXPECT_TRUE(mentions(problems_with("server.connections.max_per_ip", -1), "server.connections.max_per_ip"));
}
