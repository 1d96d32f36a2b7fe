#pragma once
// Sends chat-history reports to the manager API the way the reference does: POST
// {url}/agent/chat-history/report, "Authorization: Bearer <secret>", JSON body; the
// answer is {"code":0,...} on success. Network errors, timeouts and HTTP 408, 429,
// 500, 502, 503 and 504 are retried with doubling back-off; other answers are final.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "history/history_settings.h"
#include "history/manager_report.h"

namespace xz::net {
class HttpClient;
struct HttpClientOptions;
}

namespace xz::history {

class ManagerReporter {
 public:
  explicit ManagerReporter(ManagerApiSettings settings);
  ManagerReporter(ManagerApiSettings settings, const net::HttpClientOptions& http);
  ~ManagerReporter();
  ManagerReporter(const ManagerReporter&) = delete;
  ManagerReporter& operator=(const ManagerReporter&) = delete;

  // Sends one report, retrying as configured. `give_up` is asked before every retry
  // and during back-off (at least every 200 ms); true ends the retries at once.
  // Returns "" when the manager accepted the report, else the reason it did not.
  // Never throws, except when the caller is cancelled.
  boost::asio::awaitable<std::string> send(ManagerReport report, std::function<bool()> give_up = {});

  std::string endpoint() const;
  // The URL of a path under manager-api.url.
  std::string url(const std::string& path) const { return settings_.url + path; }
  // The HTTP requests made so far, retries included.
  std::size_t attempts() const { return attempts_; }

 private:
  ManagerApiSettings settings_;
  std::unique_ptr<net::HttpClient> client_;
  std::size_t attempts_ = 0;
};

// Whether an HTTP status is worth another attempt.
bool retryable_status(int status);

}  // namespace xz::history
