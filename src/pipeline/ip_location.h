#pragma once
// {{local_address}} of the prompt template: the city of the device's public IP address,
// looked up the reference's way (whois.pconline.com.cn/ipJson.jsp, whose answer is GBK
// text) at a configurable URL, with a timeout, cached per address in a bounded cache.
// Private, loopback and link-local addresses are never looked up: they give "".
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/bounded_cache.h"
#include "net/http_client.h"
#include "pipeline/ip_answer.h"

namespace xz::pipeline {

// False for text that is not an IP address and for loopback, private (RFC 1918,
// CGNAT, fc00::/7), link-local and unspecified addresses.
bool is_public_ip(std::string_view ip);

struct IpLocationSettings {
  // {ip} is replaced by the address; "" turns the lookup off.
  std::string url = "https://whois.pconline.com.cn/ipJson.jsp?json=true&ip={ip}";
  std::chrono::milliseconds timeout{3000};
  std::size_t cache_entries = 1024;
  std::chrono::seconds cache_ttl{24 * 3600};
  std::chrono::seconds failure_ttl{600};  // a failed lookup is not retried sooner
  std::size_t max_answer_bytes = 16 * 1024;
};

class IpLocator {
 public:
  IpLocator(IpLocationSettings settings, std::shared_ptr<net::HttpClient> http);

  // The cached city of `ip` ("" = known to have none), or nullopt when not cached.
  std::optional<std::string> cached(const std::string& ip);
  // The city, looking it up when not cached; "" when there is none, the address is not
  // public or the lookup failed (`error` then says why). Only cancellation throws.
  boost::asio::awaitable<std::string> locate(std::string ip, std::string* error = nullptr);

  std::size_t lookups() const { return lookups_; }  // requests sent (tests, bounds)

 private:
  IpLocationSettings settings_;
  std::shared_ptr<net::HttpClient> http_;
  std::mutex mutex_;  // shared by every loop
  core::BoundedCache<std::string, std::string> cache_;
  std::size_t lookups_ = 0;
};

}  // namespace xz::pipeline
