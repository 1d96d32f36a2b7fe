#pragma once
// Requests to the reference's manager-api as the device server makes them: POST
// <manager-api.url><path> with "Authorization: Bearer <manager-api.secret>", a JSON body
// or none, the envelope parsed (agents/manager_wire.h). Network errors, timeouts and
// HTTP 408/429/5xx are retried (manager-api.max_retries, with the delay doubling from
// .retry_delay up to .max_retry_delay), never past the caller's deadline; each attempt
// is bounded by manager-api.timeout and the answer by max_response_bytes.
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "agents/manager_wire.h"
#include "history/history_settings.h"

namespace xz::net {
class HttpClient;
}

namespace xz::agents {

class ManagerClient {
 public:
  ManagerClient(history::ManagerApiSettings settings, std::size_t max_response_bytes);
  ~ManagerClient();
  ManagerClient(const ManagerClient&) = delete;
  ManagerClient& operator=(const ManagerClient&) = delete;

  // Never throws except when the caller is cancelled: whatever goes wrong is an
  // envelope with outcome error and the reason.
  boost::asio::awaitable<ManagerEnvelope> post(std::string path, std::optional<nlohmann::json> body,
                                               std::chrono::steady_clock::time_point deadline);

  std::string url(std::string_view path) const;
  const history::ManagerApiSettings& settings() const { return settings_; }
  // HTTP requests made so far, retries included (tests).
  std::size_t attempts() const { return attempts_.load(); }

 private:
  history::ManagerApiSettings settings_;
  std::size_t max_response_bytes_;
  std::unique_ptr<net::HttpClient> http_;
  std::atomic<std::size_t> attempts_{0};
};

}  // namespace xz::agents
