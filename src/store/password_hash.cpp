#include "store/password_hash.h"

#include <openssl/evp.h>

#include <charconv>
#include <stdexcept>

#include "protocol/encoding.h"

namespace xz::store {

namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
constexpr std::string_view kPrefix = "$scrypt$";
constexpr std::uint64_t kMaxMemory = 1ull << 30;

std::uint64_t memory_of(const ScryptParams& p) {
  return 128ull * static_cast<std::uint64_t>(p.r) * (1ull << p.log_n) * static_cast<std::uint64_t>(p.p);
}

std::optional<int> small_int(std::string_view s) {
  int v = 0;
  if (s.empty() || s.size() > 3) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "ln=15,r=8,p=1", exactly in that order.
std::optional<ScryptParams> parse_params(std::string_view s) {
  ScryptParams p;
  int* fields[] = {&p.log_n, &p.r, &p.p};
  constexpr std::string_view names[] = {"ln=", "r=", "p="};
  for (std::size_t i = 0; i < 3; ++i) {
    if (s.substr(0, names[i].size()) != names[i]) return std::nullopt;
    s.remove_prefix(names[i].size());
    auto comma = s.find(',');
    if ((comma == std::string_view::npos) != (i == 2)) return std::nullopt;
    auto v = small_int(s.substr(0, comma));
    if (!v) return std::nullopt;
    *fields[i] = *v;
    s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
  }
  if (!scrypt_params_acceptable(p)) return std::nullopt;
  return p;
}

struct Decoded {
  ScryptParams params;
  std::string salt;
  std::string hash;
};

std::optional<Decoded> decode(std::string_view encoded) {
  if (encoded.size() > 256 || encoded.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  encoded.remove_prefix(kPrefix.size());
  auto d1 = encoded.find('$');
  if (d1 == std::string_view::npos) return std::nullopt;
  auto d2 = encoded.find('$', d1 + 1);
  if (d2 == std::string_view::npos || encoded.find('$', d2 + 1) != std::string_view::npos) return std::nullopt;
  auto params = parse_params(encoded.substr(0, d1));
  // base64 without padding: the decoder accepts both, so '=' is refused here.
  auto salt_text = encoded.substr(d1 + 1, d2 - d1 - 1);
  auto hash_text = encoded.substr(d2 + 1);
  if (!params || salt_text.find('=') != std::string_view::npos || hash_text.find('=') != std::string_view::npos)
    return std::nullopt;
  auto salt = protocol::base64_decode(salt_text);
  auto hash = protocol::base64_decode(hash_text);
  if (!salt || !hash || salt->size() < 8 || salt->size() > 64 || hash->size() != kHashBytes) return std::nullopt;
  return Decoded{*params, std::move(*salt), std::move(*hash)};
}

std::string unpadded_base64(std::string_view bytes) {
  std::string s = protocol::base64_encode(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

}  // namespace

bool scrypt_params_acceptable(const ScryptParams& p) {
  if (p.log_n < 1 || p.log_n > 20 || p.r < 1 || p.r > 32 || p.p < 1 || p.p > 16) return false;
  return memory_of(p) <= kMaxMemory;
}

std::string scrypt(std::string_view password, std::string_view salt, const ScryptParams& params,
                   std::size_t length) {
  if (!scrypt_params_acceptable(params)) throw std::invalid_argument("scrypt: parameters out of bounds");
  std::string out(length, '\0');
  // OpenSSL's default memory cap (32 MiB) is exactly what ln=15,r=8 needs, and it
  // counts a little more: allow what the parameters need plus slack.
  const std::uint64_t maxmem = memory_of(params) + 128ull * static_cast<std::uint64_t>(params.r) * 1024 + (1u << 20);
  if (EVP_PBE_scrypt(password.data(), password.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                     salt.size(), 1ull << params.log_n, static_cast<std::uint64_t>(params.r),
                     static_cast<std::uint64_t>(params.p), maxmem, reinterpret_cast<unsigned char*>(out.data()),
                     out.size()) != 1)
    throw std::runtime_error("scrypt: OpenSSL EVP_PBE_scrypt failed");
  return out;
}

std::string hash_password(std::string_view password, const ScryptParams& params) {
  const std::string salt = protocol::random_bytes(kSaltBytes);
  const std::string hash = scrypt(password, salt, params, kHashBytes);
  return std::string(kPrefix) + "ln=" + std::to_string(params.log_n) + ",r=" + std::to_string(params.r) +
         ",p=" + std::to_string(params.p) + "$" + unpadded_base64(salt) + "$" + unpadded_base64(hash);
}

bool verify_password(std::string_view password, std::string_view encoded) {
  auto d = decode(encoded);
  if (!d) return false;
  return protocol::constant_time_equal(scrypt(password, d->salt, d->params, d->hash.size()), d->hash);
}

std::optional<ScryptParams> encoded_params(std::string_view encoded) {
  auto d = decode(encoded);
  if (!d) return std::nullopt;
  return d->params;
}

}  // namespace xz::store
