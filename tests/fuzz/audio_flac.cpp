// FLAC bodies of TTS answers, framed here and decoded by libFLAC (audio/*_stream_decoder.cpp).
// Input: the first byte seeds how the rest is cut into pieces; the rest is the body.
#include "fuzz/audio_stream_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  xz::fuzz::fuzz_audio_format(xz::audio::AudioFormat::flac, data, size, /*exact_splits=*/true);
  return 0;
}
