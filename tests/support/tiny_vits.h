#pragma once
// A tiny model with sherpa-onnx's VITS interface, for tests of the local TTS engine: the
// inputs (x [1,T] int64, x_length [1] int64, noise_scale, length_scale, noise_scale_w [1]
// float, sid [1] int64), the output (y [1,1,S] float) and the metadata sherpa-onnx
// 1.13.8's VITS loader reads (a Chinese lexicon model: language Chinese, add_blank 1),
// written as an ONNX file from C++, with its tokens.txt and lexicon.txt.
//
// What it "says": each token id t becomes kSamplesPerToken samples of the value
// tiny_vits_level(t), times length_scale (sherpa-onnx passes 1/speed), plus sid / 100.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace xz::test {

inline constexpr int kTinyVitsSampleRate = 16000;
inline constexpr int kTinyVitsSamplesPerToken = 40;

struct TinyVitsFiles {
  std::string dir, model, tokens, lexicon;
};

// Writes model.onnx, tokens.txt and lexicon.txt (你 好 世 界) into `dir` (created).
// `meta_changes`: metadata to set ("" value = drop the key). Throws std::runtime_error.
TinyVitsFiles write_tiny_vits(const std::string& dir, const std::map<std::string, std::string>& meta_changes = {});

// The sample value of token id `t` at speed 1, speaker 0.
float tiny_vits_level(std::int64_t t);

// The token ids sherpa-onnx's Chinese lexicon frontend makes of `text` (你 好 世 界 and
// the punctuation ， 。 only) for this model, blanks added (add_blank 1).
std::vector<std::int64_t> tiny_vits_tokens(const std::string& text);

// The PCM sherpa-onnx should deliver for token ids `ids` (as the engine converts floats).
std::vector<std::int16_t> tiny_vits_pcm(const std::vector<std::int64_t>& ids, int sid, float speed);

}  // namespace xz::test
