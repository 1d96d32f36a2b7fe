#include "tools/builtin/gzip_body.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

#include <fmt/format.h>

namespace xz::tools::builtin {

std::string gunzip(std::string_view data, std::size_t max_bytes) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("gzip: inflateInit2 failed");
  struct End {
    z_stream& z;
    ~End() { inflateEnd(&z); }
  } end{z};
  std::string out;
  std::array<unsigned char, 16384> buf;
  // zlib's counters are 32-bit: feed at most 1 GiB at a time.
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(std::min<std::size_t>(data.size(), 1u << 30));
  for (;;) {
    z.next_out = buf.data();
    z.avail_out = static_cast<uInt>(buf.size());
    const int rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t got = buf.size() - z.avail_out;
    if (out.size() + got > max_bytes)
      throw std::runtime_error(fmt::format("gzip: the body inflates to more than {} bytes", max_bytes));
    out.append(reinterpret_cast<const char*>(buf.data()), got);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) return out;
      // Another member follows (concatenated gzip streams decode as one).
      if (inflateReset(&z) != Z_OK) throw std::runtime_error("gzip: inflateReset failed");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && z.avail_in == 0) throw std::runtime_error("gzip: the data is cut short");
    throw std::runtime_error(fmt::format("gzip: {}", z.msg ? z.msg : "not gzip data"));
  }
}

void decode_body(net::HttpClientResponse& res, std::size_t max_bytes) {
  std::string encoding = res.header("Content-Encoding");
  for (auto& c : encoding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (encoding.find("gzip") == std::string::npos) return;
  res.body = gunzip(res.body, max_bytes);
  std::erase_if(res.headers, [](const auto& h) {
    std::string name = h.first;
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name == "content-encoding";
  });
}

}  // namespace xz::tools::builtin
