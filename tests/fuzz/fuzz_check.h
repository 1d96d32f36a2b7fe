#pragma once
// Shared by the fuzz targets: a property that must hold for every input. A failed check
// aborts, which libFuzzer reports as a crash with the input that caused it.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace xz::fuzz {

inline std::string_view as_text(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// `s` cut into pieces of 1 to 64 bytes whose sizes follow from `seed`: streaming parsers
// must give the same result for any cut (the network decides where pieces end).
inline std::vector<std::string_view> pieces(std::string_view s, unsigned seed) {
  std::vector<std::string_view> out;
  unsigned state = seed * 2654435761u + 1;
  while (!s.empty()) {
    state = state * 1103515245u + 12345u;
    const std::size_t n = std::min<std::size_t>(s.size(), 1 + (state >> 16) % 64);
    out.push_back(s.substr(0, n));
    s.remove_prefix(n);
  }
  return out;
}

}  // namespace xz::fuzz
