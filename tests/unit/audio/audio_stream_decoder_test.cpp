// AudioStreamDecoder: every format decoded from data a real encoder made here, fed in
// every kind of split, checked against the source signal; and the ways a vendor's bytes
// can be wrong.
#include "audio/audio_stream_decoder.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/encoded_audio.h"
#include "support/speech.h"

using xz::audio::as_bytes;
using xz::audio::audio_format_from_name;
using xz::audio::AudioFormat;
using xz::audio::AudioFormatError;
using xz::audio::make_audio_stream_decoder;
using xz::test::best_match;
using xz::test::chirp;

namespace {

struct Decoded {
  std::vector<std::int16_t> samples;
  int rate = 0;
  std::string error;  // AudioFormatError's message
  std::size_t pushes_before_first_audio = 0;
};

using Splitter = std::function<std::size_t()>;

Decoded decode(AudioFormat format, const std::string& bytes, const Splitter& next_size, int pcm_rate = 24000) {
  Decoded d;
  auto dec = make_audio_stream_decoder(format, pcm_rate);
  auto take = [&](xz::audio::DecodedPcm pcm) {
    if (pcm.samples.empty()) return;
    EXPECT_GT(pcm.sample_rate, 0);
    if (d.rate) {
      EXPECT_EQ(pcm.sample_rate, d.rate) << "rate changed mid-stream";
    }
    d.rate = pcm.sample_rate;
    d.samples.insert(d.samples.end(), pcm.samples.begin(), pcm.samples.end());
  };
  try {
    std::size_t at = 0, pushes = 0;
    while (at < bytes.size()) {
      std::size_t n = std::min(std::max<std::size_t>(1, next_size()), bytes.size() - at);
      take(dec->push(as_bytes(std::string_view(bytes).substr(at, n))));
      at += n;
      ++pushes;
      if (!d.samples.empty() && !d.pushes_before_first_audio) d.pushes_before_first_audio = pushes;
    }
    take(dec->finish());
  } catch (const AudioFormatError& e) {
    d.error = e.what();
  }
  return d;
}

Splitter fixed(std::size_t n) {
  return [n] { return n; };
}
Splitter random_sizes(unsigned seed) {
  auto rng = std::make_shared<std::mt19937>(seed);
  return [rng] { return std::uniform_int_distribution<std::size_t>(1, 3000)(*rng); };
}
Splitter whole() { return fixed(std::size_t{1} << 30); }

std::vector<std::int16_t> interleave_same(const std::vector<std::int16_t>& mono) {
  std::vector<std::int16_t> out;
  for (auto s : mono) {
    out.push_back(s);
    out.push_back(s);
  }
  return out;
}

// The same bytes, decoded in every kind of split, give the same samples.
Decoded decode_every_way(AudioFormat format, const std::string& bytes) {
  Decoded ref = decode(format, bytes, whole());
  EXPECT_EQ(ref.error, "");
  for (auto [name, split] : std::vector<std::pair<std::string, Splitter>>{
           {"1 byte", fixed(1)}, {"7 bytes", fixed(7)}, {"333 bytes", fixed(333)}, {"4097 bytes", fixed(4097)},
           {"random", random_sizes(15)}}) {
    Decoded d = decode(format, bytes, split);
    EXPECT_EQ(d.error, "") << name;
    EXPECT_EQ(d.rate, ref.rate) << name;
    EXPECT_TRUE(d.samples == ref.samples) << name << ": " << d.samples.size() << " samples against " << ref.samples.size()
                                         << " when decoded whole";
  }
  return ref;
}

std::string cut(const std::string& bytes, double fraction) {
  return bytes.substr(0, static_cast<std::size_t>(static_cast<double>(bytes.size()) * fraction));
}

}  // namespace

TEST(AudioStreamDecoder, FormatNames) {
  EXPECT_EQ(audio_format_from_name("mp3"), AudioFormat::mp3);
  EXPECT_EQ(audio_format_from_name("opus"), AudioFormat::opus);
  EXPECT_EQ(audio_format_from_name("ogg"), AudioFormat::opus);
  EXPECT_EQ(audio_format_from_name("AAC"), AudioFormat::aac);
  EXPECT_EQ(audio_format_from_name("flac"), AudioFormat::flac);
  EXPECT_EQ(audio_format_from_name("wav"), AudioFormat::wav);
  EXPECT_EQ(audio_format_from_name("pcm"), AudioFormat::pcm);
  EXPECT_EQ(audio_format_from_name("vorbis"), std::nullopt);
  EXPECT_EQ(audio_format_from_name(""), std::nullopt);
  EXPECT_THROW(make_audio_stream_decoder(AudioFormat::pcm, 100), std::invalid_argument);
}

TEST(AudioStreamDecoder, Mp3WithInfoTagIsGaplessAndMatchesTheSource) {
  const auto source = chirp(1.0, 24000);
  const auto mp3 = xz::test::encode_mp3(source, 24000, 1, 48);
  auto d = decode_every_way(AudioFormat::mp3, mp3);
  EXPECT_EQ(d.rate, 24000);
  // The LAME tag's delay and padding are cut: the source's length, to the sample.
  EXPECT_EQ(d.samples.size(), source.size());
  auto m = best_match(source, d.samples, 2000);
  EXPECT_GT(m.correlation, 0.9) << "lag " << m.lag;
  EXPECT_LT(m.lag, 50u) << "the encoder delay was not cut";
}

TEST(AudioStreamDecoder, Mp3AsALiveEncoderSendsItStereoAt16kHz) {
  const auto source = chirp(1.0, 16000, 200, 2500);
  const auto mp3 = xz::test::encode_mp3(interleave_same(source), 16000, 2, 64, /*info_tag=*/false);
  auto d = decode_every_way(AudioFormat::mp3, mp3);
  EXPECT_EQ(d.rate, 16000);
  // Without the tag the decoder cannot know the delay: at most three frames more.
  EXPECT_GE(d.samples.size(), source.size());
  EXPECT_LE(d.samples.size(), source.size() + 3 * 576);
  auto m = best_match(source, d.samples, 3000);
  EXPECT_GT(m.correlation, 0.9) << "lag " << m.lag;
}

TEST(AudioStreamDecoder, Mp3FirstAudioBeforeTheWholeStream) {
  const auto source = chirp(2.0, 24000);
  const auto mp3 = xz::test::encode_mp3(source, 24000, 1, 48, false);
  auto d = decode(AudioFormat::mp3, mp3, fixed(500));
  ASSERT_EQ(d.error, "");
  const std::size_t pushes = (mp3.size() + 499) / 500;
  EXPECT_LE(d.pushes_before_first_audio, 3u) << "of " << pushes << " pushes";
}

TEST(AudioStreamDecoder, OggOpusIsDecodedAtItsOwnRateSampleExact) {
  const auto source = chirp(1.0, 48000);
  const auto ogg = xz::test::make_ogg_opus(source);
  auto d = decode_every_way(AudioFormat::opus, ogg);
  EXPECT_EQ(d.rate, 48000);
  EXPECT_EQ(d.samples.size(), source.size()) << "pre-skip and the end granule position";
  // Opus keeps the waveform less closely than mp3 or AAC (0.85 measured at 64 kbit/s).
  auto m = best_match(source, d.samples, 2000);
  EXPECT_GT(m.correlation, 0.8);
  EXPECT_LT(m.lag, 10u);
}

TEST(AudioStreamDecoder, FlacIsLosslessMonoAndStereo) {
  const auto source = chirp(1.0, 24000);
  auto d = decode_every_way(AudioFormat::flac, xz::test::encode_flac(source, 24000, 1, 1152));
  EXPECT_EQ(d.rate, 24000);
  EXPECT_TRUE(d.samples == source) << d.samples.size() << " samples";

  auto stereo = decode_every_way(AudioFormat::flac, xz::test::encode_flac(interleave_same(source), 24000, 2, 4096));
  EXPECT_TRUE(stereo.samples == source) << "downmix of two equal channels";
}

TEST(AudioStreamDecoder, AdtsAacMatchesTheSource) {
  const auto source = chirp(1.0, 24000);
  auto d = decode_every_way(AudioFormat::aac, xz::test::encode_adts_aac(source, 24000, 1, 64));
  EXPECT_EQ(d.rate, 24000);
  // The encoder primes with 1024 samples and pads the last frame.
  EXPECT_GE(d.samples.size(), source.size());
  EXPECT_LE(d.samples.size(), source.size() + 3 * 1024);
  auto m = best_match(source, d.samples, 3000);
  EXPECT_GT(m.correlation, 0.9) << "lag " << m.lag;

  auto stereo = decode_every_way(AudioFormat::aac, xz::test::encode_adts_aac(interleave_same(source), 24000, 2, 96));
  EXPECT_GT(best_match(source, stereo.samples, 3000).correlation, 0.9);
}

TEST(AudioStreamDecoder, WavAndRawPcmAreExact) {
  const auto source = chirp(0.5, 22050);
  auto wav = decode_every_way(AudioFormat::wav, xz::test::encode_wav(source, 22050));
  EXPECT_EQ(wav.rate, 22050);
  EXPECT_TRUE(wav.samples == source);
  auto stereo = decode_every_way(AudioFormat::wav, xz::test::encode_wav(interleave_same(source), 22050, 2));
  EXPECT_TRUE(stereo.samples == source);

  std::string raw(reinterpret_cast<const char*>(source.data()), source.size() * 2);
  auto pcm = decode_every_way(AudioFormat::pcm, raw);
  EXPECT_EQ(decode(AudioFormat::pcm, raw, whole(), 16000).rate, 16000);
  EXPECT_EQ(pcm.rate, 24000);
  EXPECT_TRUE(pcm.samples == source);
}

TEST(AudioStreamDecoder, SniffingPicksEachFormatFromItsFirstBytes) {
  const auto source = chirp(0.5, 24000);
  const std::vector<std::pair<AudioFormat, std::string>> streams = {
      {AudioFormat::mp3, xz::test::encode_mp3(source, 24000)},
      {AudioFormat::opus, xz::test::make_ogg_opus(chirp(0.5, 48000))},
      {AudioFormat::aac, xz::test::encode_adts_aac(source, 24000)},
      {AudioFormat::flac, xz::test::encode_flac(source, 24000)},
      {AudioFormat::wav, xz::test::encode_wav(source, 24000)},
  };
  for (const auto& [format, bytes] : streams) {
    auto known = decode(format, bytes, whole());
    auto sniffed = decode(AudioFormat::sniff, bytes, fixed(1));
    EXPECT_EQ(sniffed.error, "") << xz::audio::audio_format_name(format);
    EXPECT_GT(sniffed.samples.size(), 0u) << xz::audio::audio_format_name(format);
    EXPECT_TRUE(sniffed.samples == known.samples) << xz::audio::audio_format_name(format);
  }
  // An ID3v2 tag (with a footer, and cover art's worth of bytes) before mp3 and AAC.
  std::string tag = "ID3";
  tag += std::string("\x04\x00\x10", 3);
  const std::uint32_t size = 70000;
  for (int shift : {21, 14, 7, 0}) tag += static_cast<char>((size >> shift) & 0x7f);
  tag += std::string(size, '\x55') + "3DI" + std::string(7, '\0');
  for (auto [format, bytes] : {streams[0], streams[2]}) {
    auto known = decode(format, bytes, whole());
    for (auto f : {format, AudioFormat::sniff}) {
      auto d = decode(f, tag + bytes, random_sizes(3));
      EXPECT_EQ(d.error, "") << xz::audio::audio_format_name(f);
      EXPECT_TRUE(d.samples == known.samples) << xz::audio::audio_format_name(f);
    }
  }
}

TEST(AudioStreamDecoder, SniffingRefusesWhatIsNotAudioAndSaysWhatItIs) {
  auto json = decode(AudioFormat::sniff, R"({"error":{"message":"quota exceeded"}})", fixed(5));
  EXPECT_NE(json.error.find("not a known audio format"), std::string::npos) << json.error;
  EXPECT_NE(json.error.find(R"(text '{"error":{"message":"quota exceeded"}}')"), std::string::npos) << json.error;
  auto binary = decode(AudioFormat::sniff, std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 12), whole());
  EXPECT_NE(binary.error.find("bytes 01 02 03 04 05 06 07 08"), std::string::npos) << binary.error;
  EXPECT_EQ(decode(AudioFormat::sniff, "", whole()).error, "no audio: the answer is empty");
  EXPECT_NE(decode(AudioFormat::sniff, "RIFF", whole()).error, "");  // too short to be a WAV
  EXPECT_NE(decode(AudioFormat::sniff, "RIFF\x10\0\0\0AVI LIST", whole()).error.find("not a known audio format"),
            std::string::npos);
}

TEST(AudioStreamDecoder, TruncatedStreamsAreErrorsAfterTheAudioThatArrived) {
  const auto source = chirp(1.0, 24000);
  const std::vector<std::pair<AudioFormat, std::string>> streams = {
      {AudioFormat::mp3, xz::test::encode_mp3(source, 24000, 1, 48, false)},
      {AudioFormat::opus, xz::test::make_ogg_opus(chirp(1.0, 48000))},
      {AudioFormat::aac, xz::test::encode_adts_aac(source, 24000)},
      {AudioFormat::flac, xz::test::encode_flac(source, 24000)},
  };
  for (const auto& [format, bytes] : streams) {
    const char* name = xz::audio::audio_format_name(format).data();
    // Cut one byte past a point well inside the stream: inside some frame or page.
    std::string part = cut(bytes, 0.6) + bytes[static_cast<std::size_t>(static_cast<double>(bytes.size()) * 0.6)];
    std::vector<std::int16_t> before;
    auto dec = make_audio_stream_decoder(format);
    try {
      before = dec->push(as_bytes(part)).samples;
      dec->finish();
      ADD_FAILURE() << name << ": a cut-off stream ended without an error";
    } catch (const AudioFormatError& e) {
      EXPECT_NE(std::string(e.what()).find("ends inside"), std::string::npos) << name << ": " << e.what();
    }
    EXPECT_GT(before.size(), source.size() / 3) << name << ": the audio before the cut comes out";
    // An error is repeated, never turned into a crash or into more audio.
    EXPECT_THROW(dec->push(as_bytes(bytes)), AudioFormatError) << name;
  }
  EXPECT_NE(decode(AudioFormat::wav, xz::test::encode_wav(source, 24000).substr(0, 30), whole()).error, "");
  EXPECT_NE(decode(AudioFormat::pcm, "abc", whole()).error.find("middle of a sample"), std::string::npos);
  EXPECT_NE(decode(AudioFormat::opus, xz::test::make_ogg_opus(source).substr(0, 20), whole()).error, "");
}

TEST(AudioStreamDecoder, EachDecoderRefusesItsNeighboursAndGarbage) {
  const auto source = chirp(0.3, 24000);
  const std::string text(100 * 1024, 'x');
  const std::vector<std::pair<AudioFormat, std::string>> wrong = {
      {AudioFormat::mp3, text},
      {AudioFormat::opus, xz::test::encode_flac(source, 24000)},
      {AudioFormat::aac, xz::test::encode_mp3(source, 24000)},
      {AudioFormat::flac, xz::test::make_ogg_opus(chirp(0.3, 48000))},
      {AudioFormat::wav, xz::test::encode_mp3(source, 24000)},
      {AudioFormat::mp3, ""},
      {AudioFormat::flac, ""},
      {AudioFormat::aac, ""},
  };
  for (const auto& [format, bytes] : wrong) {
    auto d = decode(format, bytes, fixed(1000));
    EXPECT_NE(d.error, "") << xz::audio::audio_format_name(format) << " of " << bytes.size() << " bytes";
    EXPECT_TRUE(d.samples.empty()) << xz::audio::audio_format_name(format);
  }
  // Random bytes: whatever comes out, the only failure is AudioFormatError (fuzzed too).
  std::mt19937 rng(7);
  std::string noise(64 * 1024, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  for (auto f : {AudioFormat::mp3, AudioFormat::opus, AudioFormat::aac, AudioFormat::flac, AudioFormat::wav,
                 AudioFormat::sniff}) {
    EXPECT_NO_THROW(decode(f, noise, random_sizes(1))) << xz::audio::audio_format_name(f);
  }
}

TEST(AudioStreamDecoder, StreamValuesAreValidated) {
  const auto source = chirp(0.3, 24000);
  // WAV: 0 channels; 100 Hz.
  auto wav = xz::test::encode_wav(source, 24000);
  auto no_channels = wav;
  no_channels[22] = 0;
  EXPECT_NE(decode(AudioFormat::wav, no_channels, whole()).error.find("channels"), std::string::npos);
  auto slow = xz::test::encode_wav(source, 100);
  EXPECT_NE(decode(AudioFormat::wav, slow, whole()).error.find("out of range"), std::string::npos);
  // FLAC: STREAMINFO's sample rate set to 0 (it starts at byte 8 + 10).
  auto flac = xz::test::encode_flac(source, 24000);
  flac[18] = flac[19] = 0;
  flac[20] = static_cast<char>(flac[20] & 0x0f);
  EXPECT_NE(decode(AudioFormat::flac, flac, whole()).error.find("sample rate 0 Hz"), std::string::npos);
  // ADTS: reserved sampling frequency index 13.
  auto aac = xz::test::encode_adts_aac(source, 24000);
  aac[2] = static_cast<char>((aac[2] & ~0x3c) | (13 << 2));
  EXPECT_NE(decode(AudioFormat::aac, aac, whole()).error.find("reserved sampling frequency"), std::string::npos);
  // Ogg Opus: 3 channels with mapping family 0.
  auto ogg = xz::test::make_ogg_opus(chirp(0.3, 48000));
  auto damaged = ogg;
  damaged[28 + 9] = 3;  // OpusHead's channel count (the page CRC then fails: not even a page)
  EXPECT_NE(decode(AudioFormat::opus, damaged, whole()).error, "");
}

// Undecodable input is refused once a bounded amount has arrived, not buffered forever.
TEST(AudioStreamDecoder, UndecodableInputIsBounded) {
  const std::string junk(4 * 1024 * 1024, 'x');
  auto pushed_until_error = [&](AudioFormat f, const std::string& start) {
    auto dec = make_audio_stream_decoder(f);
    std::size_t pushed = 0;
    try {
      dec->push(as_bytes(start));
      for (; pushed < junk.size(); pushed += 4096) dec->push(as_bytes(std::string_view(junk).substr(pushed, 4096)));
    } catch (const AudioFormatError& e) {
      return std::make_pair(pushed, std::string(e.what()));
    }
    return std::make_pair(pushed, std::string());
  };
  const auto source = chirp(0.3, 24000);
  auto mp3 = pushed_until_error(AudioFormat::mp3, "");
  EXPECT_LE(mp3.first, 72u * 1024) << mp3.second;
  EXPECT_NE(mp3.second.find("no MPEG audio frame"), std::string::npos) << mp3.second;
  // FLAC: a valid start, then a frame that never ends.
  auto flac_bytes = xz::test::encode_flac(source, 24000);
  auto flac = pushed_until_error(AudioFormat::flac, flac_bytes.substr(0, flac_bytes.size() / 2));
  EXPECT_LE(flac.first, 16u * 1024) << flac.second;
  EXPECT_NE(flac.second.find("no complete frame"), std::string::npos) << flac.second;
  auto ogg = pushed_until_error(AudioFormat::opus, "OggS");
  EXPECT_LE(ogg.first, 72u * 1024) << ogg.second;
  EXPECT_NE(ogg.second.find("no valid page"), std::string::npos) << ogg.second;
  // An ID3v2 tag that says it is 200 MB.
  auto id3 = pushed_until_error(AudioFormat::sniff, std::string("ID3\x04\x00\x00\x7f\x7f\x7f\x7f", 10));
  EXPECT_EQ(id3.first, 0u);
  EXPECT_NE(id3.second.find("larger than"), std::string::npos) << id3.second;
}

TEST(AudioStreamDecoder, DecodedLengthIsCapped) {
  // 1 kHz raw PCM: 600 s is 1.2 MB; a decompression bomb reaches it from a few kB.
  auto dec = make_audio_stream_decoder(AudioFormat::pcm, 1000);
  const std::string second(2000, '\0');
  std::size_t seconds = 0;
  try {
    for (; seconds < 700; ++seconds) dec->push(as_bytes(second));
    FAIL() << "700 s of audio accepted";
  } catch (const AudioFormatError& e) {
    EXPECT_EQ(seconds, 600u);
    EXPECT_NE(std::string(e.what()).find("more than 600 s"), std::string::npos) << e.what();
  }
}
