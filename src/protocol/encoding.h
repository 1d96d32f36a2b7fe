#pragma once
// Byte encodings and small crypto primitives shared by the token, credential and
// packet codecs. Bytes travel as std::string / std::string_view.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace xz::protocol {

std::string base64_encode(std::string_view bytes);
// Standard alphabet; padding optional but must be correct when present.
std::optional<std::string> base64_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes, bool pad);
// URL-safe alphabet; accepts padded and unpadded text.
std::optional<std::string> base64url_decode(std::string_view text);

std::string hex_encode(std::string_view bytes);  // lower case
// Upper or lower case; odd length or a non-hex digit gives std::nullopt.
std::optional<std::string> hex_decode(std::string_view text);

std::string sha256(std::string_view bytes);                          // raw 32 bytes
// raw 20 bytes; only where a protocol demands it (the WebSocket handshake), never for security
std::string sha1(std::string_view bytes);
std::string hmac_sha256(std::string_view key, std::string_view msg);  // raw 32 bytes

// Time depends only on the lengths, never on where the contents differ.
bool constant_time_equal(std::string_view a, std::string_view b);
// Appends the UTF-8 bytes of `cp` (a Unicode scalar value) to `out`.
void append_utf8(std::string& out, char32_t cp);

// Cryptographically secure (OpenSSL RAND_bytes); throws std::runtime_error if the RNG fails.
std::string random_bytes(std::size_t n);
// [A-Za-z0-9] only: safe to embed unescaped, as the firmware does with session ids.
std::string random_alnum(std::size_t n);

}  // namespace xz::protocol
