// The metadata walk over an ONNX file (providers/asr/onnx_metadata): a user's model file,
// read before sherpa-onnx sees it. Any bytes either give entries within the bounds or a
// std::runtime_error; nothing else escapes.
#include <sstream>
#include <stdexcept>
#include <string>

#include "fuzz/fuzz_check.h"
#include "providers/asr/onnx_metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(xz::fuzz::as_text(data, size)));
  try {
    const auto meta = xz::providers::read_onnx_metadata(in);
    FUZZ_CHECK(meta.size() <= 4096);
    for (const auto& [k, v] : meta) FUZZ_CHECK(k.size() <= size && v.size() <= size);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
