#include "providers/onnx_runtime.h"

#include <mutex>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace xz::providers {

void init_onnx_runtime() {
  static std::once_flag once;
  static std::string error;
  std::call_once(once, [] {
    const OrtApiBase* base = OrtGetApiBase();
    const OrtApi* api = base->GetApi(kOrtApiVersion);
    if (!api) {
      error = fmt::format("ONNX Runtime {} does not offer API version {} (scripts/fetch_assets.sh pins the runtime)",
                          base->GetVersionString(), kOrtApiVersion);
      return;
    }
    Ort::InitApi(api);
  });
  if (!error.empty()) throw std::runtime_error(error);
}

}  // namespace xz::providers
