// multipart/form-data (protocol/multipart) as the camera upload sends it. Input: the
// Content-Type value, a newline, then the body.
#include "fuzz/fuzz_check.h"
#include "protocol/multipart.h"

using namespace xz::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = xz::fuzz::as_text(data, size);
  const auto nl = in.find('\n');
  if (nl == std::string_view::npos) return 0;
  const std::string_view content_type = in.substr(0, nl), body = in.substr(nl + 1);
  (void)sniff_image_type(body);
  const auto boundary = multipart_boundary(content_type);
  if (!boundary) return 0;
  FUZZ_CHECK(!boundary->empty() && boundary->size() <= content_type.size());
  std::string error;
  const auto parts = parse_multipart(body, *boundary, &error, 16);
  if (!parts) {
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  FUZZ_CHECK(parts->size() <= 16);
  std::size_t total = 0;
  for (const auto& p : *parts) {
    total += p.data.size();
    (void)mime_type(sniff_image_type(p.data));
  }
  FUZZ_CHECK(total <= body.size());
  return 0;
}
