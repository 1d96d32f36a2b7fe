// Raw 16-bit little-endian mono PCM ("pcm" answers: OpenAI's are 24 kHz).
#include <optional>

#include "audio/stream_decoders.h"

namespace xz::audio {

namespace {

class PcmStreamDecoder final : public AudioStreamDecoder {
 public:
  explicit PcmStreamDecoder(int rate) : rate_(rate) {}

  DecodedPcm push(std::span<const std::uint8_t> bytes) override {
    DecodedPcm out{{}, rate_};
    if (bytes.empty()) return out;
    out.samples.reserve((bytes.size() + 1) / 2);
    if (odd_) {  // a sample split between two pieces
      out.samples.push_back(static_cast<std::int16_t>(*odd_ | bytes[0] << 8));
      odd_.reset();
      bytes = bytes.subspan(1);
    }
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2)
      out.samples.push_back(static_cast<std::int16_t>(bytes[i] | bytes[i + 1] << 8));
    if (bytes.size() % 2) odd_ = bytes.back();
    return out;
  }

  DecodedPcm finish() override {
    if (odd_) throw AudioFormatError("raw PCM ends in the middle of a sample (an odd number of bytes)");
    return {{}, rate_};
  }

 private:
  int rate_;
  std::optional<std::uint8_t> odd_;
};

}  // namespace

std::unique_ptr<AudioStreamDecoder> make_pcm_stream_decoder(int sample_rate) {
  return std::make_unique<PcmStreamDecoder>(sample_rate);
}

}  // namespace xz::audio
