#include "pipeline/ip_location.h"

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/ip_ranges.h"
#include "tools/builtin/web_api.h"

namespace xz::pipeline {

namespace asio = boost::asio;

bool is_public_ip(std::string_view ip) {
  auto addr = core::parse_ip(ip);
  if (!addr) return false;
  const std::string host = addr->is_v6() ? "[" + addr->to_string() + "]" : addr->to_string();
  return !tools::builtin::private_host("http://" + host + "/");
}

IpLocator::IpLocator(IpLocationSettings settings, std::shared_ptr<net::HttpClient> http)
    : settings_(std::move(settings)), http_(std::move(http)), cache_(settings_.cache_entries) {}

std::optional<std::string> IpLocator::cached(const std::string& ip) {
  if (!is_public_ip(ip) || settings_.url.empty()) return std::string();
  std::lock_guard lock(mutex_);
  return cache_.get(ip, std::chrono::steady_clock::now());
}

asio::awaitable<std::string> IpLocator::locate(std::string ip, std::string* error) {
  if (auto hit = cached(ip)) co_return *hit;
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = settings_.url;
  for (auto at = req.url.find("{ip}"); at != std::string::npos; at = req.url.find("{ip}", at + ip.size()))
    req.url.replace(at, 4, ip);
  req.connect_timeout = req.total_timeout = settings_.timeout;
  req.max_response_bytes = settings_.max_answer_bytes;
  std::string city;
  std::string why;
  {
    std::lock_guard lock(mutex_);
    ++lookups_;
  }
  try {
    auto res = co_await http_->request(req);
    if (res.ok())
      city = city_from_ip_answer(res.body, tools::builtin::response_charset(res));
    else
      why = fmt::format("HTTP {}", res.status);
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) throw;
    why = e.what();
  } catch (const std::exception& e) {
    why = e.what();
  }
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    cache_.put(ip, city, now + (why.empty() ? settings_.cache_ttl : settings_.failure_ttl));
  }
  if (error) *error = why;
  co_return city;
}

}  // namespace xz::pipeline
