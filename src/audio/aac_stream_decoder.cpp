// AAC in ADTS frames (what HTTP TTS APIs send for "aac") with libfaad2. ADTS frames
// carry their own length, so each is decoded as soon as its last byte arrives. faad2 is
// small and decodes only AAC (LC, Main, LTP, HE-AAC); libavcodec would bring a video
// codec stack into the server for one format.
#include <neaacdec.h>

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "audio/id3v2_skipper.h"
#include "audio/stream_decoders.h"

namespace xz::audio {

namespace {

constexpr std::size_t kAdtsHeader = 7;

struct HandleFree {
  void operator()(void* h) const { NeAACDecClose(static_cast<NeAACDecHandle>(h)); }
};

class AacStreamDecoder final : public AudioStreamDecoder {
 public:
  DecodedPcm push(std::span<const std::uint8_t> bytes) override {
    auto data = id3_.skip(bytes);
    frame_.append(data.held);
    frame_.append(reinterpret_cast<const char*>(data.rest.data()), data.rest.size());
    DecodedPcm out;
    while (frame_.size() >= kAdtsHeader) {
      const std::size_t len = frame_length();
      if (frame_.size() < len) break;
      decode(len, out);
      frame_.erase(0, len);
    }
    return out;
  }

  DecodedPcm finish() override {
    frame_ += id3_.finish();
    if (frames_ == 0 && frame_.empty()) throw AudioFormatError("no audio: the stream is empty");
    if (!frame_.empty())
      throw AudioFormatError(fmt::format("AAC stream ends inside an ADTS frame ({} bytes of it arrived)", frame_.size()));
    return {};
  }

 private:
  // The length of the ADTS frame that starts frame_ (checked against the stream's first).
  std::size_t frame_length() {
    const auto* p = reinterpret_cast<const std::uint8_t*>(frame_.data());
    if (p[0] != 0xff || (p[1] & 0xf6) != 0xf0)
      throw AudioFormatError(frames_ ? "AAC: ADTS sync lost between frames" : "not an ADTS AAC stream (no ADTS sync at its start)");
    const int profile = p[2] >> 6;
    const int rate_index = (p[2] >> 2) & 0x0f;
    const int channels = (p[2] & 1) << 2 | p[3] >> 6;
    const std::size_t len = static_cast<std::size_t>(p[3] & 3) << 11 | static_cast<std::size_t>(p[4]) << 3 | p[5] >> 5;
    const std::size_t header = (p[1] & 1) ? kAdtsHeader : kAdtsHeader + 2;
    if (rate_index > 12) throw AudioFormatError(fmt::format("AAC: reserved sampling frequency index {}", rate_index));
    if (channels == 0) throw AudioFormatError("AAC: channel configuration 0 (in-band program config) is not supported");
    if (profile == 2) throw AudioFormatError("AAC: the SSR profile is not supported");
    if (len <= header) throw AudioFormatError(fmt::format("AAC: ADTS frame length {} is too short", len));
    const std::uint32_t shape = static_cast<std::uint32_t>(profile << 8 | rate_index << 4 | channels);
    if (frames_ && shape != shape_)
      throw AudioFormatError("AAC: profile, sample rate or channels change mid-stream");
    shape_ = shape;
    return len;
  }

  void decode(std::size_t len, DecodedPcm& out) {
    auto* p = reinterpret_cast<unsigned char*>(frame_.data());
    if (!handle_) open(p, len);
    NeAACDecFrameInfo info{};
    void* pcm = NeAACDecDecode(static_cast<NeAACDecHandle>(handle_.get()), &info, p, static_cast<unsigned long>(len));
    ++frames_;
    if (info.error) throw AudioFormatError(fmt::format("AAC: {}", NeAACDecGetErrorMessage(info.error)));
    if (!pcm || info.samples == 0) return;  // the decoder's first frame comes out later
    if (info.channels < 1 || info.channels > 8 || info.samplerate < 8000 || info.samplerate > 96000)
      throw AudioFormatError(fmt::format("AAC: unexpected output ({} Hz, {} channels)", info.samplerate, info.channels));
    const auto* s = static_cast<const std::int16_t*>(pcm);
    const std::size_t ch = info.channels;
    out.samples.reserve(out.samples.size() + info.samples / ch);
    for (std::size_t i = 0; i + ch <= info.samples; i += ch) {
      int sum = 0;
      for (std::size_t c = 0; c < ch; ++c) sum += s[i + c];
      out.samples.push_back(static_cast<std::int16_t>(sum / static_cast<int>(ch)));
    }
    out.sample_rate = static_cast<int>(info.samplerate);
  }

  void open(unsigned char* first, std::size_t len) {
    handle_.reset(NeAACDecOpen());
    if (!handle_) throw AudioFormatError("AAC: cannot start libfaad");
    auto h = static_cast<NeAACDecHandle>(handle_.get());
    NeAACDecConfigurationPtr cfg = NeAACDecGetCurrentConfiguration(h);
    cfg->outputFormat = FAAD_FMT_16BIT;
    cfg->downMatrix = 1;  // 5.1 -> stereo; we mix that to mono
    // At the stream's own rate: faad2 would otherwise double the rate of every stream of
    // 24 kHz or less in case it hides SBR.
    cfg->dontUpSampleImplicitSBR = 1;
    NeAACDecSetConfiguration(h, cfg);
    unsigned long rate = 0;
    unsigned char channels = 0;
    if (NeAACDecInit(h, first, static_cast<unsigned long>(len), &rate, &channels) < 0)
      throw AudioFormatError("AAC: libfaad does not accept the first ADTS frame");
  }

  Id3v2Skipper id3_;
  std::string frame_;  // the ADTS frame being received (< 8 KiB) and what follows it
  std::unique_ptr<void, HandleFree> handle_;
  std::uint64_t frames_ = 0;
  std::uint32_t shape_ = 0;
};

}  // namespace

std::unique_ptr<AudioStreamDecoder> make_aac_stream_decoder() { return std::make_unique<AacStreamDecoder>(); }

}  // namespace xz::audio
