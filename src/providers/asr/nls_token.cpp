#include "providers/asr/nls_token.h"

#include <ctime>

#include <fmt/format.h>

#include "net/http_client.h"
#include "providers/tts/ws_duplex_link.h"

namespace xz::providers {

NlsTokenSource::NlsTokenSource(std::string static_token, std::string key_id, std::string key_secret,
                               std::string token_url, std::string ca_file, std::chrono::milliseconds timeout)
    : static_token_(std::move(static_token)),
      key_id_(std::move(key_id)),
      key_secret_(std::move(key_secret)),
      token_url_(std::move(token_url)),
      timeout_(timeout) {
  net::HttpClientOptions ho;
  ho.ca_file = std::move(ca_file);
  ho.max_idle_per_host = 0;  // a token a day: nothing worth keeping open
  http_ = std::make_unique<net::HttpClient>(ho);
}

NlsTokenSource::~NlsTokenSource() = default;

std::size_t NlsTokenSource::fetches() const {
  std::lock_guard lk(mu_);
  return fetches_;
}

boost::asio::awaitable<std::string> NlsTokenSource::token() {
  if (key_id_.empty()) co_return static_token_;
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  {
    std::lock_guard lk(mu_);
    if (cached_ && now < cached_->expire_time - kRefreshMarginSeconds) co_return cached_->id;
    ++fetches_;
  }
  char stamp[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  aliyun::TokenRequest r{key_id_, key_secret_, random_uuid(), stamp};
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = aliyun::token_url(token_url_, r);
  req.total_timeout = timeout_;
  req.connect_timeout = std::min(req.connect_timeout, timeout_);
  auto resp = co_await http_->request(std::move(req));
  aliyun::Token tok;
  try {
    tok = aliyun::parse_token_answer(resp.body);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("CreateToken HTTP {}: {}", resp.status, e.what()));
  }
  if (!resp.ok()) throw std::runtime_error(fmt::format("CreateToken HTTP {}", resp.status));
  std::lock_guard lk(mu_);
  cached_ = tok;
  co_return tok.id;
}

}  // namespace xz::providers
