#include "protocol/encoding.h"

#include <array>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace xz::protocol {
namespace {

constexpr std::string_view kStdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode_with(std::string_view alphabet, std::string_view in, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t(std::uint8_t(in[i])) << 16) |
                            (std::uint32_t(std::uint8_t(in[i + 1])) << 8) |
                            std::uint32_t(std::uint8_t(in[i + 2]));
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const std::size_t rest = in.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t(std::uint8_t(in[i])) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t(std::uint8_t(in[i])) << 16) |
                            (std::uint32_t(std::uint8_t(in[i + 1])) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

using DecodeTable = std::array<std::int8_t, 256>;

constexpr DecodeTable make_table(std::string_view alphabet) {
  DecodeTable t{};
  for (auto& e : t) e = -1;
  for (std::size_t i = 0; i < alphabet.size(); ++i) t[std::uint8_t(alphabet[i])] = std::int8_t(i);
  return t;
}

constexpr DecodeTable kStdTable = make_table(kStdAlphabet);
constexpr DecodeTable kUrlTable = make_table(kUrlAlphabet);

std::optional<std::string> decode_with(const DecodeTable& table, std::string_view in) {
  // Padding, when present, must complete the last quantum exactly.
  std::size_t pads = 0;
  while (pads < in.size() && pads < 2 && in[in.size() - 1 - pads] == '=') ++pads;
  if (pads > 0 && in.size() % 4 != 0) return std::nullopt;
  in.remove_suffix(pads);
  if (in.size() % 4 == 1) return std::nullopt;
  if (pads > 0 && (in.size() % 4) + pads != 4) return std::nullopt;

  std::string out;
  out.reserve(in.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = table[std::uint8_t(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | std::uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xFF);
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string base64_encode(std::string_view bytes) { return encode_with(kStdAlphabet, bytes, true); }

std::optional<std::string> base64_decode(std::string_view text) { return decode_with(kStdTable, text); }

std::string base64url_encode(std::string_view bytes, bool pad) {
  return encode_with(kUrlAlphabet, bytes, pad);
}

std::optional<std::string> base64url_decode(std::string_view text) {
  return decode_with(kUrlTable, text);
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    out += kDigits[std::uint8_t(c) >> 4];
    out += kDigits[std::uint8_t(c) & 15];
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = hex_value(text[i]);
    const int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += char((hi << 4) | lo);
  }
  return out;
}

namespace {
std::string digest(std::string_view bytes, const EVP_MD* md, unsigned int size, const char* name) {
  std::string out(size, '\0');
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(out.data()), &len, md,
                 nullptr) != 1 ||
      len != size) {
    throw std::runtime_error(std::string(name) + ": OpenSSL digest failed");
  }
  return out;
}
}  // namespace

std::string sha256(std::string_view bytes) { return digest(bytes, EVP_sha256(), 32, "sha256"); }
std::string sha1(std::string_view bytes) { return digest(bytes, EVP_sha1(), 20, "sha1"); }

std::string hmac_sha256(std::string_view key, std::string_view msg) {
  std::string out(32, '\0');
  unsigned int len = 0;
  // OpenSSL rejects a null key pointer even for an empty key.
  static const unsigned char kEmpty = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr ||
      len != 32) {
    throw std::runtime_error("hmac_sha256: OpenSSL HMAC failed");
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t n) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::length_error("random_bytes: too many bytes requested");
  }
  std::string out(n, '\0');
  if (n == 0) return out;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("random_bytes: OpenSSL RAND_bytes failed");
  }
  return out;
}

std::string random_alnum(std::size_t n) {
  static constexpr std::string_view kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  // Rejection sampling keeps every character equally likely (248 = 4 * 62).
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    for (char c : random_bytes(n - out.size() + 8)) {
      const auto b = std::uint8_t(c);
      if (b >= 248) continue;
      out += kChars[b % kChars.size()];
      if (out.size() == n) break;
    }
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace xz::protocol
