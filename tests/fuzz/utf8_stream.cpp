// Token pieces joined into UTF-8 (providers/llm/utf8_stream). Input: a seed byte for the
// cut, then the bytes. The output is valid UTF-8 whatever the input, the same for any
// cut, and equal to the input when the input was valid.
#include "fuzz/fuzz_check.h"
#include "providers/llm/utf8_stream.h"

namespace {

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    std::uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = cp << 6 | (b & 0x3F);
    }
    const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::string run(const std::vector<std::string_view>& parts) {
  xz::providers::Utf8Stream stream;
  std::string out;
  for (auto part : parts) out += stream.feed(part);
  return out + stream.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes = xz::fuzz::as_text(data + 1, size - 1);
  const std::string whole = run({bytes});
  FUZZ_CHECK(valid_utf8(whole));
  FUZZ_CHECK(run(xz::fuzz::pieces(bytes, data[0])) == whole);
  if (valid_utf8(bytes)) FUZZ_CHECK(whole == bytes);
  return 0;
}
