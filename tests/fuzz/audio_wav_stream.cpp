// WAV bodies of TTS answers, pushed as they arrive, downmixed (audio/*_stream_decoder.cpp).
// Input: the first byte seeds how the rest is cut into pieces; the rest is the body.
#include "fuzz/audio_stream_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  xz::fuzz::fuzz_audio_format(xz::audio::AudioFormat::wav, data, size, /*exact_splits=*/true);
  return 0;
}
