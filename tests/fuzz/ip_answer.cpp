// The IP-to-city answer (pipeline/ip_answer): GBK or UTF-8 text, JSON or JSONP, from a
// third-party service. Any input gives a city (valid UTF-8, never longer than the GBK
// text decoded) or "", never an exception or a crash.
#include <string>

#include "fuzz/fuzz_check.h"
#include "pipeline/ip_answer.h"

using namespace xz::pipeline;

namespace {

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = xz::fuzz::as_text(data, size);
  const std::string utf8 = gbk_to_utf8(body);
  FUZZ_CHECK(valid_utf8(utf8));
  FUZZ_CHECK(utf8.size() <= 3 * size);
  const std::string city = city_from_ip_answer(body, "gbk");
  FUZZ_CHECK(valid_utf8(city));
  FUZZ_CHECK(city.size() <= utf8.size());
  const std::string as_utf8 = city_from_ip_answer(body, "utf-8");
  FUZZ_CHECK(as_utf8.size() <= size);
  return 0;
}
