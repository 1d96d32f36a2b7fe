// What the HTTP TTS vendors answer around their audio (providers/tts): MiniMax's
// SSE-like lines of hex audio, the JSON documents with base64 audio of Doubao, Tencent
// and PaddleSpeech, PaddleSpeech's streaming messages, and error bodies. Any bytes, cut
// anywhere, give audio or a std::runtime_error (never another exception, e.g. a JSON type
// error, and never a crash); a MiniMax stream decodes to the same samples however it is
// cut; error-body readers never throw and stay bounded.
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "audio/audio_stream_decoder.h"
#include "fuzz/fuzz_check.h"
#include "providers/tts/engine_error.h"
#include "providers/tts/json_audio_body.h"
#include "providers/tts/minimax_stream.h"
#include "providers/tts/tts_vendor_json.h"

namespace audio = xz::audio;
namespace p = xz::providers;

namespace {

// The samples of `body` fed in `parts`; nullopt when it was refused.
std::optional<std::vector<std::int16_t>> decode(audio::AudioStreamDecoder& d, const std::vector<std::string_view>& parts) {
  std::vector<std::int16_t> out;
  try {
    for (auto part : parts) {
      auto got = d.push(audio::as_bytes(part));
      out.insert(out.end(), got.samples.begin(), got.samples.end());
    }
    auto rest = d.finish();
    out.insert(out.end(), rest.samples.begin(), rest.samples.end());
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
  return out;
}

std::unique_ptr<audio::AudioStreamDecoder> pcm() { return audio::make_audio_stream_decoder(audio::AudioFormat::pcm, 24000); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body = xz::fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      p::MinimaxStreamBody whole(pcm()), cut(pcm());
      const auto a = decode(whole, {body});
      const auto b = decode(cut, xz::fuzz::pieces(body, data[0]));
      FUZZ_CHECK(a.has_value() == b.has_value());
      if (a) FUZZ_CHECK(*a == *b);
      break;
    }
    case 1:
      for (const p::Base64AudioField& field :
           {p::Base64AudioField(p::doubao_audio_field), p::Base64AudioField(p::tencent_audio_field),
            p::Base64AudioField(p::paddle_audio_field)}) {
        p::JsonAudioBody d(field, pcm(), 64 * 1024);
        (void)decode(d, xz::fuzz::pieces(body, data[0]));
      }
      break;
    case 2:
      try {
        const auto m = p::parse_paddle_message(body);
        FUZZ_CHECK(m.audio.size() <= body.size());
      } catch (const std::runtime_error&) {
      }
      break;
    default:
      FUZZ_CHECK(p::vendor_error_message(body).size() <= 303);
  }
  return 0;
}
