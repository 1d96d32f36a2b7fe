#pragma once
// Shared by the audio_* fuzz targets: one AudioStreamDecoder format, fed the input whole
// and again in pieces of 1-64 bytes. Only AudioFormatError may come out (any other
// exception is a crash); decoded audio has a sane rate and length; and where the framing
// is ours (exact_splits), both ways give the same samples.
#include <cstdint>
#include <optional>

#include "audio/audio_stream_decoder.h"
#include "fuzz/fuzz_check.h"

namespace xz::fuzz {

inline std::optional<std::vector<std::int16_t>> decode_audio(audio::AudioFormat format,
                                                             const std::vector<std::string_view>& parts) {
  auto dec = audio::make_audio_stream_decoder(format, 16000);
  std::vector<std::int16_t> all;
  auto take = [&](const audio::DecodedPcm& pcm) {
    if (pcm.samples.empty()) return;
    FUZZ_CHECK(pcm.sample_rate >= 1000 && pcm.sample_rate <= 384000);
    all.insert(all.end(), pcm.samples.begin(), pcm.samples.end());
    FUZZ_CHECK(all.size() <= 601u * static_cast<std::size_t>(pcm.sample_rate));
  };
  try {
    for (auto p : parts) take(dec->push(audio::as_bytes(p)));
    take(dec->finish());
  } catch (const audio::AudioFormatError&) {
    // A refused stream refuses every later call too.
    bool again = false;
    try {
      dec->finish();
    } catch (const audio::AudioFormatError&) {
      again = true;
    }
    FUZZ_CHECK(again);
    return std::nullopt;
  }
  return all;
}

inline void fuzz_audio_format(audio::AudioFormat format, const std::uint8_t* data, std::size_t size,
                              bool exact_splits) {
  if (size == 0) return;
  const std::string_view input = as_text(data + 1, size - 1);
  auto whole = decode_audio(format, {input});
  auto cut = decode_audio(format, pieces(input, data[0]));
  if (exact_splits && whole && cut) FUZZ_CHECK(*whole == *cut);
}

}  // namespace xz::fuzz
