#include "history/manager_reporter.h"

#include <algorithm>
#include <stdexcept>

#include <boost/system/system_error.hpp>
#include <nlohmann/json.hpp>

#include "core/async.h"
#include "net/http_client.h"
#include "protocol/json_text.h"

namespace xz::history {

namespace {

using Clock = std::chrono::steady_clock;

std::string shortened(std::string s, std::size_t n = 200) {
  if (s.size() > n) s = s.substr(0, n) + "...";
  return s;
}

// "" when the answer is an acceptance; the manager's message otherwise.
std::string rejection(const net::HttpClientResponse& r) {
  auto j = protocol::parse_json_text(r.body);
  if (j.is_discarded() || !j.is_object() || !j.contains("code")) return {};  // plain 2xx: accepted
  const auto& code = j["code"];
  if (code.is_number_integer() && code.get<long long>() == 0) return {};
  std::string msg = j.value("msg", std::string());
  return "manager answered code " + code.dump() + (msg.empty() ? "" : ": " + msg);
}

}  // namespace

bool retryable_status(int status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

ManagerReporter::ManagerReporter(ManagerApiSettings settings) : ManagerReporter(std::move(settings), {}) {}

ManagerReporter::ManagerReporter(ManagerApiSettings settings, const net::HttpClientOptions& http)
    : settings_(std::move(settings)), client_(std::make_unique<net::HttpClient>(http)) {
  if (settings_.url.empty()) throw std::invalid_argument("manager-api.url is empty");
}

ManagerReporter::~ManagerReporter() = default;

std::string ManagerReporter::endpoint() const { return settings_.url + "/agent/chat-history/report"; }

boost::asio::awaitable<std::string> ManagerReporter::send(ManagerReport report, std::function<bool()> give_up) {
  net::HttpClientRequest req;
  req.method = "POST";
  req.url = settings_.url + report_path(report);
  req.headers = {{"Accept", "application/json"}};
  if (!settings_.secret.empty()) req.headers.emplace_back("Authorization", "Bearer " + settings_.secret);
  if (report.kind == ManagerReport::Kind::chat) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = report_body(report);
  }
  req.total_timeout = settings_.timeout;
  req.connect_timeout = std::min(settings_.timeout, std::chrono::milliseconds(10000));
  req.max_response_bytes = 1 << 20;

  std::string last_error;
  auto delay = settings_.retry_delay;
  for (int attempt = 0;; ++attempt) {
    bool retry = false;
    ++attempts_;
    try {
      auto copy = req;
      auto r = co_await client_->request(std::move(copy));
      if (r.ok()) co_return rejection(r);
      last_error = "HTTP " + std::to_string(r.status) + (r.body.empty() ? "" : ": " + shortened(r.body));
      retry = retryable_status(r.status);
    } catch (const boost::system::system_error& e) {
      if (e.code() == boost::asio::error::operation_aborted) throw;
      last_error = e.what();
      retry = true;
    } catch (const std::exception& e) {
      last_error = e.what();
      retry = true;
    }
    if (!retry) co_return last_error;
    if (attempt >= settings_.max_retries) co_return last_error + " (after " + std::to_string(attempt + 1) + " attempts)";
    // Back-off in slices, so a shutdown does not wait out a long delay.
    const auto until = Clock::now() + delay;
    for (;;) {
      if (give_up && give_up()) co_return last_error + " (gave up: shutting down)";
      auto now = Clock::now();
      if (now >= until) break;
      Clock::duration slice = std::min<Clock::duration>(until - now, std::chrono::milliseconds(200));
      co_await core::sleep_for(slice);
    }
    delay = std::min(delay * 2, settings_.max_retry_delay);
  }
}

}  // namespace xz::history
