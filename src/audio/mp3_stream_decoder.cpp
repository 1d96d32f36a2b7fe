// MPEG audio (layer III, and I/II which come free) with libmpg123's feed API: bytes are
// fed as they arrive and every complete frame is decoded at once, mixed down to mono by
// mpg123 itself. A leading ID3v2 tag is skipped before mpg123 sees it.
#include <mpg123.h>

#include <algorithm>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "audio/id3v2_skipper.h"
#include "audio/stream_decoders.h"

namespace xz::audio {

namespace {

// Input fed to mpg123 without a frame coming out: far more than the largest frame (a
// free-format 640 kbit/s frame at 8 kHz is under 10 KiB), so only junk gets here.
constexpr std::size_t kMaxUndecodedBytes = 64 * 1024;

struct HandleFree {
  void operator()(mpg123_handle* h) const { mpg123_delete(h); }
};

class Mp3StreamDecoder final : public AudioStreamDecoder {
 public:
  Mp3StreamDecoder() {
    int err = MPG123_OK;
    handle_.reset(mpg123_new(nullptr, &err));
    if (!handle_) throw AudioFormatError(fmt::format("mp3: cannot start libmpg123: {}", mpg123_plain_strerror(err)));
    mpg123_handle* h = handle_.get();
    // Quiet: errors come back as codes, never on stderr. Gapless: the encoder's delay and
    // padding (LAME's Info tag) are cut, so the speech starts at once.
    mpg123_param(h, MPG123_FLAGS, MPG123_MONO_MIX | MPG123_QUIET | MPG123_GAPLESS | MPG123_SKIP_ID3V2, 0.0);
    mpg123_param(h, MPG123_RESYNC_LIMIT, static_cast<long>(kMaxUndecodedBytes), 0.0);
    mpg123_format_none(h);
    const long* rates = nullptr;
    std::size_t n = 0;
    mpg123_rates(&rates, &n);
    for (std::size_t i = 0; i < n; ++i) mpg123_format(h, rates[i], MPG123_MONO, MPG123_ENC_SIGNED_16);
    if (mpg123_open_feed(h) != MPG123_OK) throw AudioFormatError(fmt::format("mp3: {}", mpg123_strerror(h)));
  }

  DecodedPcm push(std::span<const std::uint8_t> bytes) override {
    DecodedPcm out;
    auto data = id3_.skip(bytes);
    feed(as_bytes(data.held), out);
    feed(data.rest, out);
    return out;
  }

  DecodedPcm finish() override {
    DecodedPcm out;
    feed(as_bytes(id3_.finish()), out);
    if (fed_ == 0) throw AudioFormatError("mp3: no audio: the stream is empty");
    if (frames_ == 0) throw AudioFormatError(fmt::format("mp3: no MPEG audio frame in {} bytes", fed_));
    // What mpg123 has not parsed is a cut-off last frame (an ID3v1 tag is 128 bytes).
    const auto parsed = mpg123_tell_stream(handle_.get());
    if (parsed >= 0 && static_cast<std::uint64_t>(parsed) < fed_) {
      const auto left = fed_ - static_cast<std::uint64_t>(parsed);
      if (!(left == 128 && tail_.starts_with("TAG")))
        throw AudioFormatError(fmt::format("mp3 ends inside a frame ({} bytes of it arrived)", left));
    }
    return out;
  }

 private:
  void feed(std::span<const std::uint8_t> bytes, DecodedPcm& out) {
    if (bytes.empty()) return;
    mpg123_handle* h = handle_.get();
    if (mpg123_feed(h, bytes.data(), bytes.size()) != MPG123_OK)
      throw AudioFormatError(fmt::format("mp3: {}", mpg123_strerror(h)));
    fed_ += bytes.size();
    undecoded_ += bytes.size();
    keep_tail(bytes);
    for (;;) {
      off_t frame = 0;
      unsigned char* audio = nullptr;
      std::size_t size = 0;
      int rc = mpg123_decode_frame(h, &frame, &audio, &size);
      if (rc == MPG123_NEW_FORMAT) {
        long rate = 0;
        int channels = 0, encoding = 0;
        mpg123_getformat(h, &rate, &channels, &encoding);
        if (channels != 1 || encoding != MPG123_ENC_SIGNED_16 || rate < 8000 || rate > 48000)
          throw AudioFormatError(fmt::format("mp3: unexpected output format ({} Hz, {} channels)", rate, channels));
        rate_ = static_cast<int>(rate);
        continue;
      }
      if (rc == MPG123_NEED_MORE || rc == MPG123_DONE) break;
      if (rc != MPG123_OK) throw AudioFormatError(fmt::format("mp3: {}", mpg123_strerror(h)));
      ++frames_;
      undecoded_ = 0;
      const auto* samples = reinterpret_cast<const std::int16_t*>(audio);
      out.samples.insert(out.samples.end(), samples, samples + size / 2);
      out.sample_rate = rate_;
    }
    if (undecoded_ > kMaxUndecodedBytes)
      throw AudioFormatError(fmt::format("mp3: no MPEG audio frame in {} bytes", undecoded_));
  }

  void keep_tail(std::span<const std::uint8_t> bytes) {
    tail_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (tail_.size() > 128) tail_.erase(0, tail_.size() - 128);
  }

  std::unique_ptr<mpg123_handle, HandleFree> handle_;
  Id3v2Skipper id3_;
  std::uint64_t fed_ = 0;
  std::size_t undecoded_ = 0;  // fed since the last frame came out
  std::uint64_t frames_ = 0;
  int rate_ = 0;
  std::string tail_;  // the last 128 bytes fed, to recognise an ID3v1 tag at the end
};

}  // namespace

std::unique_ptr<AudioStreamDecoder> make_mp3_stream_decoder() { return std::make_unique<Mp3StreamDecoder>(); }

}  // namespace xz::audio
