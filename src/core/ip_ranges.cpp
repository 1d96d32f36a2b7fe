#include "core/ip_ranges.h"

#include <charconv>
#include <stdexcept>

namespace xz::core {

namespace asio = boost::asio;

namespace {

std::optional<std::pair<asio::ip::address, int>> parse_range(std::string_view entry) {
  std::string_view ip = entry;
  std::optional<int> prefix;
  if (auto slash = entry.find('/'); slash != std::string_view::npos) {
    ip = entry.substr(0, slash);
    std::string_view bits = entry.substr(slash + 1);
    int n = -1;
    auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
    if (bits.empty() || ec != std::errc() || p != bits.data() + bits.size()) return std::nullopt;
    prefix = n;
  }
  auto address = parse_ip(ip);
  if (!address) return std::nullopt;
  const int max_bits = address->is_v4() ? 32 : 128;
  if (prefix && (*prefix < 0 || *prefix > max_bits)) return std::nullopt;
  return std::make_pair(*address, prefix.value_or(max_bits));
}

bool prefix_matches(const std::uint8_t* a, const std::uint8_t* b, int bits) {
  int i = 0;
  for (; bits >= 8; bits -= 8, ++i)
    if (a[i] != b[i]) return false;
  if (bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - bits));
  return (a[i] & mask) == (b[i] & mask);
}

}  // namespace

std::optional<asio::ip::address> parse_ip(std::string_view text) {
  boost::system::error_code ec;
  auto a = asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return a;
}

asio::ip::address unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  return address;
}

std::optional<std::string> ip_range_problem(std::string_view entry) {
  if (parse_range(entry)) return std::nullopt;
  return "'" + std::string(entry) + "' is not an IP address or CIDR range (e.g. 10.0.0.1, 10.0.0.0/8, fd00::/8)";
}

IpRanges::IpRanges(const std::vector<std::string>& entries) {
  for (const auto& e : entries) {
    auto parsed = parse_range(e);
    if (!parsed) throw std::invalid_argument(*ip_range_problem(e));
    auto address = unmapped(parsed->first);
    Range r;
    r.v4 = address.is_v4();
    r.prefix = parsed->second;
    if (parsed->first.is_v6() && r.v4) r.prefix = std::max(0, r.prefix - 96);  // ::ffff:a.b.c.d/120
    if (r.v4) {
      auto b = address.to_v4().to_bytes();
      std::copy(b.begin(), b.end(), r.bytes.begin());
    } else {
      auto b = address.to_v6().to_bytes();
      std::copy(b.begin(), b.end(), r.bytes.begin());
    }
    ranges_.push_back(r);
  }
}

bool IpRanges::contains(const asio::ip::address& address) const {
  const auto a = unmapped(address);
  std::array<std::uint8_t, 16> bytes{};
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), bytes.begin());
  } else {
    auto b = a.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), bytes.begin());
  }
  for (const auto& r : ranges_)
    if (r.v4 == a.is_v4() && prefix_matches(r.bytes.data(), bytes.data(), r.prefix)) return true;
  return false;
}

bool IpRanges::contains(std::string_view address) const {
  auto a = parse_ip(address);
  return a && contains(*a);
}

}  // namespace xz::core
