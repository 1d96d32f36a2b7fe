// WAV as it arrives, over WavStreamReader (16-bit PCM, 1-8 channels), downmixed to mono.
#include <string_view>

#include "audio/stream_decoders.h"
#include "audio/wav_stream_reader.h"

namespace xz::audio {

namespace {

class WavStreamDecoder final : public AudioStreamDecoder {
 public:
  DecodedPcm push(std::span<const std::uint8_t> bytes) override {
    std::vector<std::int16_t> frames;
    try {
      frames = reader_.feed(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    } catch (const WavError& e) {
      throw AudioFormatError(e.what());
    }
    if (!reader_.format()) return {};
    const int channels = reader_.format()->channels;
    DecodedPcm out{{}, reader_.format()->sample_rate};
    if (channels == 1) {
      out.samples = std::move(frames);
      return out;
    }
    out.samples.reserve(frames.size() / static_cast<std::size_t>(channels));
    for (std::size_t at = 0; at + static_cast<std::size_t>(channels) <= frames.size();
         at += static_cast<std::size_t>(channels)) {
      int sum = 0;
      for (int c = 0; c < channels; ++c) sum += frames[at + static_cast<std::size_t>(c)];
      out.samples.push_back(static_cast<std::int16_t>(sum / channels));
    }
    return out;
  }

  DecodedPcm finish() override {
    if (auto why = reader_.incomplete_reason(); !why.empty()) throw AudioFormatError(why);
    return {{}, reader_.format()->sample_rate};
  }

 private:
  WavStreamReader reader_;
};

}  // namespace

std::unique_ptr<AudioStreamDecoder> make_wav_stream_decoder() { return std::make_unique<WavStreamDecoder>(); }

}  // namespace xz::audio
