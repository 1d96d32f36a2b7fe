// TTS answers of unknown format ("custom" servers): sniffed, then decoded (audio/*_stream_decoder.cpp).
// Input: the first byte seeds how the rest is cut into pieces; the rest is the body.
#include "fuzz/audio_stream_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  xz::fuzz::fuzz_audio_format(xz::audio::AudioFormat::sniff, data, size, /*exact_splits=*/false);
  return 0;
}
