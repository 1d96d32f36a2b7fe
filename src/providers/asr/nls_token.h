#pragma once
// Aliyun NLS tokens from CreateToken (spec §5A), for every session of one engine: the
// token is cached until a minute before its ExpireTime, then fetched again by the next
// session that needs it. Without an AccessKey, the configured static token is used.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "providers/tts/aliyun_wire.h"

namespace xz::net {
class HttpClient;
}

namespace xz::providers {

class NlsTokenSource {
 public:
  // token_url: CreateToken's base ("http://nls-meta.cn-shanghai.aliyuncs.com/").
  NlsTokenSource(std::string static_token, std::string key_id, std::string key_secret, std::string token_url,
                 std::string ca_file, std::chrono::milliseconds timeout);
  ~NlsTokenSource();

  // A valid token; throws std::runtime_error with CreateToken's complaint.
  boost::asio::awaitable<std::string> token();
  // CreateToken requests made (tests: caching).
  std::size_t fetches() const;

  // A token is fetched again this long before it expires.
  static constexpr std::int64_t kRefreshMarginSeconds = 60;

 private:
  std::string static_token_, key_id_, key_secret_, token_url_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<net::HttpClient> http_;
  mutable std::mutex mu_;
  std::optional<aliyun::Token> cached_;
  std::size_t fetches_ = 0;
};

}  // namespace xz::providers
