#pragma once
// The process's one ONNX Runtime: sherpa-onnx's 1.28.2 library (built without
// Microsoft's telemetry; sherpa-onnx's own engines use the same one), driven through
// the API-29 C++ headers of ONNX Runtime 1.29. Include this, never the ONNX Runtime
// headers themselves: it makes the headers leave the API choice to init_onnx_runtime(),
// since the library does not offer API 29.
#if defined(ORT_API_VERSION) && !defined(ORT_API_MANUAL_INIT)
#error "include providers/onnx_runtime.h before (instead of) any ONNX Runtime header"
#endif
#ifndef ORT_API_MANUAL_INIT
#define ORT_API_MANUAL_INIT
#endif
#include <onnxruntime_cxx_api.h>

namespace xz::providers {

// The OrtApi version taken from the library: the newest 1.28 has. The C++ wrappers we
// call must not need a newer one.
inline constexpr int kOrtApiVersion = 28;

// Sets up the ORT C++ API for this process. Call before making any Ort object; only
// the first call does anything, and it is safe from any thread. Throws
// std::runtime_error naming the library's version when it lacks kOrtApiVersion.
void init_onnx_runtime();

}  // namespace xz::providers
