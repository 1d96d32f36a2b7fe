#include "providers/tts/aliyun_token.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "net/http_client.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/tts/ws_duplex_link.h"

namespace xz::providers {

using llm_config::opt_string;

AliyunTokenSource::AliyunTokenSource(const EngineConfig& cfg, std::chrono::milliseconds timeout) : timeout_(timeout) {
  key_id_ = opt_string(cfg, "access_key_id").value_or("");
  key_secret_ = opt_string(cfg, "access_key_secret").value_or("");
  if (key_id_.empty() != key_secret_.empty())
    throw EngineConfigError(key_id_.empty() ? "access_key_id: missing (access_key_secret is set)"
                                            : "access_key_secret: missing (access_key_id is set)");
  static_token_ = opt_string(cfg, "token").value_or("");
  if (key_id_.empty() && static_token_.empty())
    throw EngineConfigError("token: missing (or access_key_id and access_key_secret)");
  token_url_ = opt_string(cfg, "token_url").value_or("http://nls-meta.cn-shanghai.aliyuncs.com/");
  if (!token_url_.starts_with("http://") && !token_url_.starts_with("https://"))
    throw EngineConfigError(fmt::format("token_url: not an http(s) URL: '{}'", token_url_));
  net::HttpClientOptions ho;
  ho.ca_file = opt_string(cfg, "ca_file").value_or("");
  ho.max_idle_per_host = 0;  // a token a day: nothing worth keeping open
  try {
    http_ = std::make_unique<net::HttpClient>(ho);
  } catch (const std::runtime_error& e) {
    throw EngineConfigError(fmt::format("ca_file: {}", e.what()));
  }
}

AliyunTokenSource::~AliyunTokenSource() = default;

boost::asio::awaitable<std::string> AliyunTokenSource::token() {
  if (key_id_.empty()) co_return static_token_;
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  {
    std::lock_guard lk(mu_);
    if (cached_ && now < cached_->expire_time - 60) co_return cached_->id;
  }
  char stamp[32];
  std::tm tm{};
  const std::time_t t = std::time(nullptr);
  gmtime_r(&t, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  aliyun::TokenRequest r{key_id_, key_secret_, random_uuid(), stamp};
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = aliyun::token_url(token_url_, r);
  req.total_timeout = timeout_;
  req.connect_timeout = std::min(req.connect_timeout, timeout_);
  auto resp = co_await http_->request(std::move(req));
  if (!resp.ok()) {
    std::string why;
    try {
      (void)aliyun::parse_token_answer(resp.body);
    } catch (const std::exception& e) {
      why = e.what();
    }
    throw std::runtime_error(fmt::format("CreateToken HTTP {}: {}", resp.status, why));
  }
  aliyun::Token tok = aliyun::parse_token_answer(resp.body);  // WireError names what is wrong
  std::lock_guard lk(mu_);
  cached_ = tok;
  ++created_;
  co_return tok.id;
}

bool AliyunTokenSource::forget(std::string_view refused) {
  if (key_id_.empty()) return false;
  std::lock_guard lk(mu_);
  if (cached_ && (refused.empty() || cached_->id == refused)) cached_.reset();
  return true;
}

std::uint64_t AliyunTokenSource::created() const {
  std::lock_guard lk(mu_);
  return created_;
}

}  // namespace xz::providers
