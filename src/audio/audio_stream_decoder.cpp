#include "audio/audio_stream_decoder.h"

#include <algorithm>
#include <cctype>
#include <string>

#include <fmt/format.h>

#include "audio/id3v2_skipper.h"
#include "audio/stream_decoders.h"

namespace xz::audio {

namespace {

// A TTS answer is a sentence or a paragraph; anything this long is a runaway stream or
// a decompression bomb (a FLAC frame of silence is a dozen bytes).
constexpr std::uint64_t kMaxDecodedSeconds = 600;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The first bytes of something that is not audio, as a person reads them: text (an
// error page or JSON sent with status 200) quoted, anything else in hex.
constexpr std::size_t kDescribedBytes = 48;

std::string describe_start(std::string_view head) {
  std::string_view first = head.substr(0, kDescribedBytes);
  bool text = std::all_of(first.begin(), first.end(),
                          [](char c) { return c == '\n' || c == '\r' || c == '\t' || (c >= 0x20 && c < 0x7f); });
  if (text) return fmt::format("text '{}'", first);
  std::string hex;
  for (unsigned char c : head.substr(0, 8)) hex += fmt::format("{}{:02x}", hex.empty() ? "" : " ", c);
  return "bytes " + hex;
}

// The container `head` starts with; std::nullopt while more bytes are needed to tell.
// Throws AudioFormatError once it cannot be audio we decode.
std::optional<AudioFormat> sniff(std::string_view head, bool at_end) {
  const auto b = [&](std::size_t i) { return static_cast<std::uint8_t>(head[i]); };
  if (head.size() >= 2 && b(0) == 0xff && (b(1) & 0xe0) == 0xe0) {
    if ((b(1) & 0x06) != 0) return AudioFormat::mp3;  // MPEG audio layer I-III
    if ((b(1) & 0xf0) == 0xf0) return AudioFormat::aac;  // ADTS: layer bits 00
  }
  struct Magic {
    std::string_view prefix;
    std::size_t need;
    AudioFormat format;
  };
  static constexpr Magic kMagics[] = {{"OggS", 4, AudioFormat::opus}, {"fLaC", 4, AudioFormat::flac},
                                      {"RIFF", 12, AudioFormat::wav}};
  bool maybe = head.size() < 2 && !head.empty() && b(0) == 0xff;
  for (const auto& m : kMagics) {
    std::size_t n = std::min(head.size(), m.prefix.size());
    if (head.substr(0, n) != m.prefix.substr(0, n)) continue;
    if (head.size() < m.need) {
      maybe = true;
      continue;
    }
    if (m.format != AudioFormat::wav || head.substr(8, 4) == "WAVE") return m.format;
  }
  if (head.empty() && at_end) throw AudioFormatError("no audio: the answer is empty");
  if (head.empty() || (maybe && !at_end)) return std::nullopt;
  if (!at_end && head.size() < kDescribedBytes) return std::nullopt;  // enough to show in the error
  throw AudioFormatError(fmt::format("not a known audio format (mp3, Ogg Opus, ADTS AAC, FLAC or WAV): starts with {}",
                                     describe_start(head)));
}

std::unique_ptr<AudioStreamDecoder> make_inner(AudioFormat format, int pcm_sample_rate);

// Decides the format from the first bytes (an ID3v2 tag skipped), then hands everything
// to that format's decoder.
class SniffingDecoder final : public AudioStreamDecoder {
 public:
  DecodedPcm push(std::span<const std::uint8_t> bytes) override {
    if (inner_) return inner_->push(bytes);
    auto data = id3_.skip(bytes);
    if (!id3_.done()) return {};
    head_ += data.held;
    head_.append(reinterpret_cast<const char*>(data.rest.data()), data.rest.size());
    auto format = sniff(head_, false);
    if (!format) return {};
    return start(*format);
  }

  DecodedPcm finish() override {
    DecodedPcm out;
    if (!inner_) {
      head_ += id3_.finish();
      out = start(*sniff(head_, true));
    }
    auto rest = inner_->finish();
    out.samples.insert(out.samples.end(), rest.samples.begin(), rest.samples.end());
    if (!rest.samples.empty()) out.sample_rate = rest.sample_rate;
    return out;
  }

 private:
  DecodedPcm start(AudioFormat format) {
    inner_ = make_inner(format, 0);
    std::string head = std::move(head_);
    return inner_->push(as_bytes(head));
  }

  Id3v2Skipper id3_;
  std::string head_;  // < 12 bytes + one slice
  std::unique_ptr<AudioStreamDecoder> inner_;
};

// What every decoder promises, in one place: large pushes are decoded in slices (so a
// decoder's undecoded input stays bounded), the stream keeps one sample rate, its decoded
// length is capped, and after an error every call repeats it.
class GuardedDecoder final : public AudioStreamDecoder {
 public:
  explicit GuardedDecoder(std::unique_ptr<AudioStreamDecoder> inner) : inner_(std::move(inner)) {}

  DecodedPcm push(std::span<const std::uint8_t> bytes) override {
    check();
    if (finished_) throw std::logic_error("AudioStreamDecoder::push after finish");
    DecodedPcm out;
    try {
      while (!bytes.empty()) {
        auto n = std::min(bytes.size(), kDecoderSliceBytes);
        append(out, inner_->push(bytes.first(n)));
        bytes = bytes.subspan(n);
      }
    } catch (const AudioFormatError& e) {
      error_ = e.what();
      throw;
    }
    return out;
  }

  DecodedPcm finish() override {
    check();
    if (finished_) return {};
    finished_ = true;
    DecodedPcm out;
    try {
      append(out, inner_->finish());
    } catch (const AudioFormatError& e) {
      error_ = e.what();
      throw;
    }
    return out;
  }

 private:
  void check() const {
    if (!error_.empty()) throw AudioFormatError(error_);
  }

  void append(DecodedPcm& out, DecodedPcm piece) {
    if (piece.samples.empty()) return;
    if (piece.sample_rate < 1000 || piece.sample_rate > 384000)
      throw AudioFormatError(fmt::format("sample rate {} Hz is out of range", piece.sample_rate));
    if (rate_ && piece.sample_rate != rate_)
      throw AudioFormatError(fmt::format("sample rate changes from {} to {} Hz mid-stream", rate_, piece.sample_rate));
    rate_ = piece.sample_rate;
    decoded_ += piece.samples.size();
    if (decoded_ > kMaxDecodedSeconds * static_cast<std::uint64_t>(rate_))
      throw AudioFormatError(fmt::format("stream decodes to more than {} s of audio", kMaxDecodedSeconds));
    out.sample_rate = rate_;
    if (out.samples.empty())
      out.samples = std::move(piece.samples);
    else
      out.samples.insert(out.samples.end(), piece.samples.begin(), piece.samples.end());
  }

  std::unique_ptr<AudioStreamDecoder> inner_;
  std::string error_;
  bool finished_ = false;
  int rate_ = 0;
  std::uint64_t decoded_ = 0;
};

std::unique_ptr<AudioStreamDecoder> make_inner(AudioFormat format, int pcm_sample_rate) {
  switch (format) {
    case AudioFormat::mp3: return make_mp3_stream_decoder();
    case AudioFormat::opus: return make_ogg_opus_stream_decoder();
    case AudioFormat::aac: return make_aac_stream_decoder();
    case AudioFormat::flac: return make_flac_stream_decoder();
    case AudioFormat::wav: return make_wav_stream_decoder();
    case AudioFormat::pcm: return make_pcm_stream_decoder(pcm_sample_rate);
    case AudioFormat::sniff: return std::make_unique<SniffingDecoder>();
  }
  throw std::invalid_argument("unknown AudioFormat");
}

}  // namespace

std::optional<AudioFormat> audio_format_from_name(std::string_view name) {
  const std::string n = lower(name);
  if (n == "mp3") return AudioFormat::mp3;
  if (n == "opus" || n == "ogg") return AudioFormat::opus;
  if (n == "aac") return AudioFormat::aac;
  if (n == "flac") return AudioFormat::flac;
  if (n == "wav") return AudioFormat::wav;
  if (n == "pcm") return AudioFormat::pcm;
  return std::nullopt;
}

std::string_view audio_format_name(AudioFormat format) {
  switch (format) {
    case AudioFormat::mp3: return "mp3";
    case AudioFormat::opus: return "opus";
    case AudioFormat::aac: return "aac";
    case AudioFormat::flac: return "flac";
    case AudioFormat::wav: return "wav";
    case AudioFormat::pcm: return "pcm";
    case AudioFormat::sniff: return "sniff";
  }
  return "?";
}

std::unique_ptr<AudioStreamDecoder> make_audio_stream_decoder(AudioFormat format, int pcm_sample_rate) {
  if (format == AudioFormat::pcm && (pcm_sample_rate < 1000 || pcm_sample_rate > 384000))
    throw std::invalid_argument(fmt::format("raw PCM sample rate {} Hz is out of range (1000-384000)", pcm_sample_rate));
  return std::make_unique<GuardedDecoder>(make_inner(format, pcm_sample_rate));
}

}  // namespace xz::audio
