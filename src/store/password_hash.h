#pragma once
// Console passwords at rest: scrypt (RFC 7914, OpenSSL 3) in a self-describing string
//   $scrypt$ln=15,r=8,p=1$<salt, base64 unpadded>$<32-byte hash, base64 unpadded>
// so the cost can be raised later without breaking stored hashes (the hash is always
// 32 bytes: a shortened one is refused, not compared on its prefix). Slow on purpose
// (ln=15: 32 MiB and ~0.1 s): call it on the worker pool, never on an event loop.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace xz::store {

struct ScryptParams {
  int log_n = 15;  // N = 2^log_n
  int r = 8;
  int p = 1;
};

// Bounds on what a stored hash may ask for, so a tampered row cannot make a login
// allocate gigabytes: log_n 1-20, r 1-32, p 1-16, 128*r*N*p <= 1 GiB.
bool scrypt_params_acceptable(const ScryptParams& params);

// Raw scrypt; throws std::invalid_argument for unacceptable parameters and
// std::runtime_error when OpenSSL fails.
std::string scrypt(std::string_view password, std::string_view salt, const ScryptParams& params,
                   std::size_t length);

// A fresh random 16-byte salt; the encoded form above.
std::string hash_password(std::string_view password, const ScryptParams& params = {});

// True when `encoded` is a hash of `password`; false for a wrong password and for any
// string that is not a well-formed hash with acceptable parameters. The comparison of
// the hashes takes constant time.
bool verify_password(std::string_view password, std::string_view encoded);

// The parameters of a well-formed encoded hash.
std::optional<ScryptParams> encoded_params(std::string_view encoded);

}  // namespace xz::store
