// WAV from outside the process (audio/wav, audio/wav_stream_reader): TTS engines' and
// child processes' output, uploaded or configured files. Input: a seed byte for the cut,
// then the file. The stream reader gives the same format and samples for any cut as
// parse_wav does for the whole; what parses re-encodes to a WAV that parses the same.
#include "audio/wav.h"
#include "audio/wav_stream_reader.h"
#include "fuzz/fuzz_check.h"

using namespace xz::audio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view file = xz::fuzz::as_text(data + 1, size - 1);
  std::string error;
  const auto whole = parse_wav(file, &error);

  WavStreamReader reader;
  std::vector<std::int16_t> samples;
  bool failed = false;
  for (auto part : xz::fuzz::pieces(file, data[0])) {
    try {
      auto got = reader.feed(part);
      samples.insert(samples.end(), got.begin(), got.end());
    } catch (const WavError&) {
      failed = true;
      break;
    }
  }
  if (!whole) {
    FUZZ_CHECK(!error.empty());
    FUZZ_CHECK(failed || !reader.format());
    return 0;
  }
  FUZZ_CHECK(!failed && reader.format());
  FUZZ_CHECK(reader.format()->sample_rate == whole->sample_rate && reader.format()->channels == whole->channels);
  FUZZ_CHECK(samples == whole->samples);
  FUZZ_CHECK(whole->samples.size() % static_cast<std::size_t>(whole->channels) == 0);
  FUZZ_CHECK(whole->samples.size() * 2 <= file.size());
  (void)downmix_to_mono(whole->samples, whole->channels);
  const auto again = parse_wav(make_wav(whole->samples, whole->sample_rate, whole->channels), nullptr);
  FUZZ_CHECK(again && again->samples == whole->samples && again->sample_rate == whole->sample_rate);
  return 0;
}
