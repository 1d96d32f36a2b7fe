#pragma once
// A tiny model with an offline Paraformer's interface for the sherpa-onnx engine's
// model_type: paraformer: inputs speech [N,T,560] float and speech_lengths [N] int32,
// outputs logits [N,3,V] and token_num [N], the metadata sherpa-onnx 1.13.8 reads for
// Paraformer, and tokens.txt. Whatever it hears, it says 你好 (then </s>).
#include <string>

namespace xz::test {

// Writes model.int8.onnx and tokens.txt into `dir` (created); returns `dir`.
// Throws std::runtime_error.
std::string write_tiny_paraformer(const std::string& dir);

}  // namespace xz::test
