// The body of an Aliyun NLS RESTful TTS answer (providers/tts/aliyun_answer_body): audio,
// or the service's JSON error. Any bytes, cut anywhere, give PCM or a std::runtime_error;
// a body cut differently decodes to the same samples (or is refused the same way).
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "providers/tts/aliyun_answer_body.h"

namespace audio = xz::audio;

namespace {

std::optional<std::vector<std::int16_t>> decode(audio::AudioFormat f, const std::vector<std::string_view>& parts) {
  auto d = xz::providers::aliyun_answer_body(f, 16000);
  std::vector<std::int16_t> out;
  try {
    for (auto part : parts) {
      auto got = d->push(audio::as_bytes(part));
      out.insert(out.end(), got.samples.begin(), got.samples.end());
    }
    auto rest = d->finish();
    out.insert(out.end(), rest.samples.begin(), rest.samples.end());
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto format = data[0] % 3 == 0 ? audio::AudioFormat::wav
                      : data[0] % 3 == 1 ? audio::AudioFormat::pcm
                                          : audio::AudioFormat::mp3;
  const std::string_view body = xz::fuzz::as_text(data + 1, size - 1);
  const auto whole = decode(format, {body});
  if (format != audio::AudioFormat::mp3) {  // mp3: only that nothing but runtime_error escapes
    const auto cut = decode(format, xz::fuzz::pieces(body, data[0]));
    FUZZ_CHECK(whole.has_value() == cut.has_value());
    if (whole) FUZZ_CHECK(*whole == *cut);
  }
  return 0;
}
