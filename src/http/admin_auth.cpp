#include "http/admin_auth.h"

#include <openssl/crypto.h>

#include <spdlog/spdlog.h>

namespace xz::http {

std::optional<net::HttpResponse> refuse_unauthorized(std::string_view admin_token, const net::HttpRequest& req) {
  std::string auth = req.header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() <= kBearer.size() || auth.compare(0, kBearer.size(), kBearer) != 0)
    return net::HttpResponse::error(401, "missing Authorization: Bearer <admin token>");
  std::string_view given = std::string_view(auth).substr(kBearer.size());
  bool same = !admin_token.empty() && given.size() == admin_token.size() &&
              CRYPTO_memcmp(given.data(), admin_token.data(), given.size()) == 0;
  if (!same) {
    spdlog::warn("admin API: wrong token from {}", req.remote_ip);
    return net::HttpResponse::error(403, "wrong admin token");
  }
  return std::nullopt;
}

}  // namespace xz::http
