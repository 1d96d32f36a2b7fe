#pragma once
// Bodies sent with Content-Encoding: gzip (QWeather compresses every answer).
#include <cstddef>
#include <string>
#include <string_view>

#include "net/http_client.h"

namespace xz::tools::builtin {

// The decompressed bytes of a gzip stream (members one after another are joined). Throws
// std::runtime_error for data that is not gzip, is cut short, or would inflate to more
// than `max_bytes` (a small body may expand a thousandfold).
std::string gunzip(std::string_view data, std::size_t max_bytes);

// Replaces a gzip-encoded body by its decompressed bytes (at most `max_bytes`) and drops
// the Content-Encoding header; other bodies are left alone. Throws as gunzip().
void decode_body(net::HttpClientResponse& res, std::size_t max_bytes);

}  // namespace xz::tools::builtin
