#pragma once
// The NLS token an Aliyun engine sends (ASR and TTS, streaming or not): from CreateToken
// (POP HMAC-SHA1 signature, aliyun_wire.h) with access_key_id and access_key_secret,
// shared by every session of the engine until a minute before it expires; otherwise the
// configured token (the console's 24-hour one).
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "providers/provider_context.h"
#include "providers/tts/aliyun_wire.h"

namespace xz::net {
class HttpClient;
}

namespace xz::providers {

class AliyunTokenSource {
 public:
  // Reads access_key_id, access_key_secret, token and token_url (CreateToken's, default
  // http://nls-meta.cn-shanghai.aliyuncs.com/) and ca_file. Throws EngineConfigError
  // naming the key (half a key pair; neither a pair nor a token).
  AliyunTokenSource(const EngineConfig& cfg, std::chrono::milliseconds timeout);
  ~AliyunTokenSource();

  // The token to send; asks CreateToken when the cached one is missing or expires within
  // a minute. Throws std::runtime_error "CreateToken HTTP <status>: <why>" or the
  // answer's problem.
  boost::asio::awaitable<std::string> token();
  // The service refused `refused` (a token() answer; "" = whatever is cached): the next
  // token() asks CreateToken again, unless a newer token is cached meanwhile. False when
  // the token is the configured one (nothing to renew).
  bool forget(std::string_view refused = {});
  // CreateToken answers so far.
  std::uint64_t created() const;

 private:
  std::string key_id_, key_secret_, static_token_, token_url_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<net::HttpClient> http_;
  mutable std::mutex mu_;
  std::optional<aliyun::Token> cached_;
  std::uint64_t created_ = 0;
};

}  // namespace xz::providers
