#pragma once
// FNV-1a, 64 bit: a hash that is the same in every build and run (std::hash is not),
// for choices that must stay put across restarts and for cache keys.
#include <cstdint>
#include <string_view>

namespace xz::core {

inline constexpr std::uint64_t kFnv1aOffset = 14695981039346656037ull;

// Continues `h` over `bytes`; start from kFnv1aOffset.
constexpr std::uint64_t fnv1a(std::string_view bytes, std::uint64_t h = kFnv1aOffset) {
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace xz::core
