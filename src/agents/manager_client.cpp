#include "agents/manager_client.h"

#include <algorithm>

#include <boost/system/system_error.hpp>

#include "core/async.h"
#include "history/manager_reporter.h"
#include "net/http_client.h"

namespace xz::agents {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string shortened(std::string s, std::size_t n = 200) {
  if (s.size() > n) s = s.substr(0, n) + "...";
  return s;
}

ManagerEnvelope failure(std::string why) {
  ManagerEnvelope e;
  e.outcome = ManagerOutcome::error;
  e.message = std::move(why);
  return e;
}

}  // namespace

ManagerClient::ManagerClient(history::ManagerApiSettings settings, std::size_t max_response_bytes)
    : settings_(std::move(settings)),
      max_response_bytes_(max_response_bytes),
      http_(std::make_unique<net::HttpClient>()) {}

ManagerClient::~ManagerClient() = default;

std::string ManagerClient::url(std::string_view path) const { return settings_.url + std::string(path); }

boost::asio::awaitable<ManagerEnvelope> ManagerClient::post(std::string path, std::optional<nlohmann::json> body,
                                                            Clock::time_point deadline) {
  net::HttpClientRequest req;
  req.method = "POST";
  req.url = url(path);
  req.headers = {{"Accept", "application/json"}, {"Authorization", "Bearer " + settings_.secret}};
  if (body) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  req.max_response_bytes = max_response_bytes_;

  std::string last_error;
  auto delay = settings_.retry_delay;
  for (int attempt = 0;; ++attempt) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left <= milliseconds(0))
      co_return failure(last_error.empty() ? std::string("no time left to ask") : last_error + " (deadline reached)");
    auto r = req;
    r.total_timeout = std::min(settings_.timeout, left);
    r.connect_timeout = std::min(r.total_timeout, milliseconds(10000));
    bool retry = false;
    ++attempts_;
    try {
      auto answer = co_await http_->request(std::move(r));
      if (answer.ok()) {
        auto e = parse_envelope(answer.body);
        co_return e;
      }
      last_error = "HTTP " + std::to_string(answer.status) + (answer.body.empty() ? "" : ": " + shortened(answer.body));
      retry = history::retryable_status(answer.status);
    } catch (const boost::system::system_error& e) {
      if (e.code() == boost::asio::error::operation_aborted) throw;
      last_error = e.what();
      retry = true;
    } catch (const std::exception& e) {
      last_error = e.what();
      retry = true;
    }
    if (!retry) co_return failure(last_error);
    if (attempt >= settings_.max_retries)
      co_return failure(last_error + " (after " + std::to_string(attempt + 1) + " attempts)");
    if (Clock::now() + delay >= deadline) co_return failure(last_error + " (no time left for another attempt)");
    co_await core::sleep_for(delay);
    delay = std::min(delay * 2, settings_.max_retry_delay);
  }
}

}  // namespace xz::agents
