// Ogg Opus as it arrives: OggPageSplitter finds the pages, OggOpusPageDecoder (the
// same code that plays Ogg Opus music files) decodes them. The audio comes out at the
// rate the OpusHead says the source had when that is an Opus rate (24 kHz for TTS
// voices, so no resampling), else at 48 kHz.
#include <fmt/format.h>

#include <optional>
#include <stdexcept>

#include "audio/ogg_opus_reader.h"
#include "audio/stream_decoders.h"

namespace xz::audio {

namespace {

// Junk between pages, with no page whose checksum holds: a broken stream, not damage.
constexpr std::size_t kMaxSkippedBytes = 64 * 1024;

class OggOpusStreamDecoder final : public AudioStreamDecoder {
 public:
  DecodedPcm push(std::span<const std::uint8_t> bytes) override {
    if (bytes.empty()) return {};
    std::string_view data(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (checked_ < 4) {  // the stream must start with a page, not junk
      std::string_view magic = std::string_view("OggS").substr(checked_);
      std::size_t n = std::min(magic.size(), data.size());
      if (data.substr(0, n) != magic.substr(0, n)) throw AudioFormatError("not an Ogg stream (no OggS at its start)");
      checked_ += n;
    }
    pages_.push(data);
    DecodedPcm out;
    while (auto page = pages_.next()) {
      try {
        if (!decoder_) decoder_.emplace("Ogg Opus stream", rate_of(*page));
        auto pcm = decoder_->consume(*page);
        out.samples.insert(out.samples.end(), pcm.begin(), pcm.end());
      } catch (const std::runtime_error& e) {
        throw AudioFormatError(e.what());
      }
    }
    if (pages_.skipped() > kMaxSkippedBytes)
      throw AudioFormatError(fmt::format("Ogg: no valid page in {} bytes", pages_.skipped()));
    if (decoder_) out.sample_rate = decoder_->decode_rate();
    return out;
  }

  DecodedPcm finish() override {
    if (!decoder_) throw AudioFormatError(checked_ ? "Ogg stream ends before its OpusHead" : "no audio: the stream is empty");
    if (pages_.buffered() > 0 && !decoder_->ended())
      throw AudioFormatError(fmt::format("Ogg stream ends inside a page ({} bytes of it arrived)", pages_.buffered()));
    return {{}, decoder_->decode_rate()};
  }

 private:
  // The OpusHead's "input sample rate" when the first page carries one we can decode at.
  static int rate_of(const OggPage& first) {
    std::string_view b = first.body;
    if (b.size() >= 16 && b.starts_with("OpusHead")) {
      int rate = static_cast<std::uint8_t>(b[12]) | static_cast<std::uint8_t>(b[13]) << 8 |
                 static_cast<std::uint8_t>(b[14]) << 16 | static_cast<std::uint8_t>(b[15]) << 24;
      if (OggOpusPageDecoder::is_opus_rate(rate)) return rate;
    }
    return 48000;
  }

  std::size_t checked_ = 0;  // bytes of the leading "OggS" seen
  OggPageSplitter pages_;
  std::optional<OggOpusPageDecoder> decoder_;
};

}  // namespace

std::unique_ptr<AudioStreamDecoder> make_ogg_opus_stream_decoder() { return std::make_unique<OggOpusStreamDecoder>(); }

}  // namespace xz::audio
