// The vision endpoint's camera upload (http/vision_upload) over the multipart parser.
// Input: the Content-Type value, a newline, then the body. A refusal is 400 or 413; an
// accepted upload has a question and an image of a known type.
#include "fuzz/fuzz_check.h"
#include "http/vision_upload.h"

using namespace xz::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = xz::fuzz::as_text(data, size);
  const auto nl = in.find('\n');
  if (nl == std::string_view::npos) return 0;
  constexpr std::size_t kMaxImage = 64 * 1024;
  try {
    const VisionUpload up = parse_vision_upload(in.substr(0, nl), in.substr(nl + 1), kMaxImage);
    FUZZ_CHECK(!up.question.empty() && up.question.size() <= kMaxVisionQuestionBytes);
    FUZZ_CHECK(!up.image.empty() && up.image.size() <= kMaxImage);
    FUZZ_CHECK(up.type != xz::protocol::ImageType::unknown);
  } catch (const VisionUploadError& e) {
    FUZZ_CHECK(e.status == 400 || e.status == 413);
  }
  return 0;
}
