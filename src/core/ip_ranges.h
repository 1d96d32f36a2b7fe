#pragma once
// A set of IP addresses and CIDR ranges, IPv4 and IPv6 ("10.0.0.1", "10.0.0.0/8",
// "::1", "fd00::/8"): server.trusted_proxies and the per-address connection cap's
// exemptions. An IPv4-mapped IPv6 peer ("::ffff:10.0.0.1", what a dual-stack listener
// sees) matches the IPv4 entries.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace xz::core {

class IpRanges {
 public:
  IpRanges() = default;
  // Throws std::invalid_argument naming the first entry that is not an address or CIDR.
  explicit IpRanges(const std::vector<std::string>& entries);

  bool contains(const boost::asio::ip::address& address) const;
  // False for text that is not an IP address.
  bool contains(std::string_view address) const;
  bool empty() const { return ranges_.empty(); }

 private:
  struct Range {
    bool v4 = false;
    std::array<std::uint8_t, 16> bytes{};
    int prefix = 0;  // leading bits that must match
  };
  std::vector<Range> ranges_;
};

// Why `entry` is not an IP address or CIDR range, or nullopt when it is one.
std::optional<std::string> ip_range_problem(std::string_view entry);

// An IPv4-mapped IPv6 address as IPv4; any other address unchanged.
boost::asio::ip::address unmapped(const boost::asio::ip::address& address);
// Parses an IP address (IPv6 without brackets); nullopt when the text is not one.
std::optional<boost::asio::ip::address> parse_ip(std::string_view text);

}  // namespace xz::core
