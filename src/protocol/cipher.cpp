#include "protocol/cipher.h"

#include <limits>
#include <memory>
#include <stdexcept>

#include <openssl/evp.h>

namespace xz::protocol {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw std::runtime_error("cipher: EVP_CIPHER_CTX_new failed");
  return ctx;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

void require_size(std::string_view what, std::string_view value, std::size_t size) {
  if (value.size() != size) {
    throw std::invalid_argument(std::string(what) + ": expected " + std::to_string(size) +
                                " bytes, got " + std::to_string(value.size()));
  }
}

int checked_len(std::string_view data) {
  if (data.size() > static_cast<std::size_t>(std::numeric_limits<int>::max() - 32)) {
    throw std::length_error("cipher: input too large");
  }
  return static_cast<int>(data.size());
}

constexpr std::size_t kGcmTag = 16;

}  // namespace

std::string aes_128_ctr(std::string_view key16, std::string_view iv16, std::string_view data) {
  require_size("aes_128_ctr key", key16, 16);
  require_size("aes_128_ctr iv", iv16, 16);
  auto ctx = new_ctx();
  std::string out(data.size(), '\0');
  int len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, bytes(key16), bytes(iv16)) != 1 ||
      (!data.empty() &&
       EVP_EncryptUpdate(ctx.get(), bytes(out), &len, bytes(data), checked_len(data)) != 1)) {
    throw std::runtime_error("aes_128_ctr: OpenSSL failure");
  }
  return out;
}

std::string aes_256_gcm_seal(std::string_view key32, std::string_view iv12, std::string_view plaintext) {
  require_size("aes_256_gcm key", key32, 32);
  require_size("aes_256_gcm iv", iv12, 12);
  auto ctx = new_ctx();
  std::string out(plaintext.size() + kGcmTag, '\0');
  int len = 0;
  int tail = 0;
  // The default GCM IV length is 12 bytes, so no EVP_CTRL_GCM_SET_IVLEN is needed.
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key32), bytes(iv12)) != 1 ||
      (!plaintext.empty() &&
       EVP_EncryptUpdate(ctx.get(), bytes(out), &len, bytes(plaintext), checked_len(plaintext)) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), bytes(out) + len, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, int(kGcmTag), bytes(out) + plaintext.size()) != 1) {
    throw std::runtime_error("aes_256_gcm_seal: OpenSSL failure");
  }
  return out;
}

std::optional<std::string> aes_256_gcm_open(std::string_view key32, std::string_view iv12,
                                            std::string_view sealed) {
  require_size("aes_256_gcm key", key32, 32);
  require_size("aes_256_gcm iv", iv12, 12);
  if (sealed.size() < kGcmTag) return std::nullopt;
  const std::string_view ciphertext = sealed.substr(0, sealed.size() - kGcmTag);
  std::string tag(sealed.substr(ciphertext.size()));
  auto ctx = new_ctx();
  std::string out(ciphertext.size(), '\0');
  int len = 0;
  int tail = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key32), bytes(iv12)) != 1 ||
      (!ciphertext.empty() &&
       EVP_DecryptUpdate(ctx.get(), bytes(out), &len, bytes(ciphertext), checked_len(ciphertext)) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, int(kGcmTag), tag.data()) != 1) {
    throw std::runtime_error("aes_256_gcm_open: OpenSSL failure");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), bytes(out) + len, &tail) != 1) return std::nullopt;
  return out;
}

std::string pbkdf2_hmac_sha256(std::string_view password, std::string_view salt, int iterations,
                               std::size_t length) {
  if (iterations < 1) throw std::invalid_argument("pbkdf2: iterations must be >= 1");
  if (length == 0 || length > 1024) throw std::invalid_argument("pbkdf2: length must be 1..1024");
  std::string out(length, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), checked_len(password), bytes(salt), checked_len(salt),
                        iterations, EVP_sha256(), int(length), bytes(out)) != 1) {
    throw std::runtime_error("pbkdf2: OpenSSL failure");
  }
  return out;
}

}  // namespace xz::protocol
