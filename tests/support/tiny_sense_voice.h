#pragma once
// A tiny model with SenseVoice's interface, for tests of the sherpa-onnx engines: the
// inputs (x [N,T,560] float, x_length [N], language [N], text_norm [N] int32), the
// output (logits [N,T+4,V]) and the metadata sherpa-onnx 1.13.8 reads for SenseVoice,
// written as an ONNX file from C++, plus its tokens.txt.
//
// What it "hears": its first 4 frames are the tags (the language chosen by the `language`
// input, HAPPY, Speech, and withitn/woitn by `text_norm`); every later frame is blank,
// unless one of four tones rings in it: 300 Hz -> 你, 700 Hz -> 好, 1500 Hz -> 世,
// 3000 Hz -> 界. So tone_speech("你好世界") is heard as 你好世界 (emotion HAPPY).
#include <cstdint>
#include <string>
#include <vector>

namespace xz::test {

struct TinySenseVoiceFiles {
  std::string dir, model, tokens;
};

// Writes model.onnx and tokens.txt into `dir` (created). Throws std::runtime_error.
TinySenseVoiceFiles write_tiny_sense_voice(const std::string& dir);

// The same model without the metadata key `drop` (e.g. "vocab_size").
TinySenseVoiceFiles write_tiny_sense_voice_without(const std::string& dir, const std::string& drop);

// 16 kHz PCM the tiny model hears as `text`, made of 你 好 世 界 only: silence, then a
// 0.3 s tone per character with 0.2 s of silence between, then silence.
std::vector<std::int16_t> tone_speech(const std::string& text);

}  // namespace xz::test
