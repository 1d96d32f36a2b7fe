#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "audio/wav.h"
#include "audio/wav_stream_reader.h"
#include "support/speech.h"

using xz::audio::make_wav;
using xz::audio::parse_wav;
using xz::audio::WavError;
using xz::audio::WavStreamReader;

namespace {

std::string le16(unsigned v) { return {static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF)}; }
std::string le32(std::uint32_t v) { return le16(v & 0xFFFF) + le16(v >> 16); }

std::string chunk(std::string id, const std::string& payload, std::optional<std::uint32_t> size = {}) {
  std::string out = id + le32(size.value_or(static_cast<std::uint32_t>(payload.size()))) + payload;
  if (payload.size() % 2) out += '\0';
  return out;
}

std::string fmt_payload(unsigned tag, unsigned channels, std::uint32_t rate, unsigned bits) {
  unsigned align = channels * bits / 8;
  return le16(tag) + le16(channels) + le32(rate) + le32(rate * align) + le16(align) + le16(bits);
}

std::string riff(const std::string& body) { return "RIFF" + le32(static_cast<std::uint32_t>(4 + body.size())) + "WAVE" + body; }

std::string pcm_bytes(const std::vector<std::int16_t>& s) {
  std::string out;
  for (auto v : s) out += le16(static_cast<std::uint16_t>(v));
  return out;
}

std::string parse_error(const std::string& bytes) {
  std::string err;
  EXPECT_FALSE(parse_wav(bytes, &err)) << "accepted: " << err;
  return err;
}

}  // namespace

TEST(Wav, MakeThenParseRoundTrips) {
  auto speech = xz::test::flite_speech("Round trip.");
  auto bytes = make_wav(speech, 16000);
  EXPECT_EQ(bytes.size(), 44 + 2 * speech.size());
  EXPECT_EQ(bytes.substr(0, 4), "RIFF");
  EXPECT_EQ(bytes.substr(36, 4), "data");
  std::string err;
  auto wav = parse_wav(bytes, &err);
  ASSERT_TRUE(wav) << err;
  EXPECT_EQ(wav->sample_rate, 16000);
  EXPECT_EQ(wav->channels, 1);
  EXPECT_EQ(wav->samples, speech);

  std::vector<std::int16_t> stereo{1, -1, 2, -2, 32767, -32768};
  auto st = parse_wav(make_wav(stereo, 48000, 2));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->channels, 2);
  EXPECT_EQ(st->sample_rate, 48000);
  EXPECT_EQ(st->samples, stereo);
}

TEST(Wav, MakeRejectsBadArguments) {
  std::vector<std::int16_t> s{1, 2};
  EXPECT_THROW(make_wav(s, 0), std::invalid_argument);
  EXPECT_THROW(make_wav(s, 16000, 0), std::invalid_argument);
  EXPECT_THROW(make_wav(s, 16000, 9), std::invalid_argument);
}

TEST(Wav, SkipsUnknownChunksIncludingOddSizedOnes) {
  std::vector<std::int16_t> s{10, 20, 30};
  auto bytes = riff(chunk("LIST", "abc") + chunk("fmt ", fmt_payload(1, 1, 22050, 16)) + chunk("fact", "1234") +
                    chunk("data", pcm_bytes(s)) + chunk("LIST", "trailer"));
  std::string err;
  auto wav = parse_wav(bytes, &err);
  ASSERT_TRUE(wav) << err;
  EXPECT_EQ(wav->sample_rate, 22050);
  EXPECT_EQ(wav->samples, s);
}

TEST(Wav, AcceptsExtensiblePcm) {
  std::string ext = fmt_payload(0xFFFE, 1, 16000, 16) + le16(22) + le16(16) + le32(4) + le16(1) +
                    std::string("\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71", 14);
  ASSERT_EQ(ext.size(), 40u);
  auto wav = parse_wav(riff(chunk("fmt ", ext) + chunk("data", pcm_bytes({7, 8}))));
  ASSERT_TRUE(wav);
  EXPECT_EQ(wav->samples, (std::vector<std::int16_t>{7, 8}));
}

TEST(Wav, StreamedPlaceholderSizeYieldsWhatIsThere) {
  // espeak-ng --stdout writes 0x7FFFF000 as the data size because it cannot seek.
  std::vector<std::int16_t> s{5, 6, 7, 8};
  auto bytes = riff(chunk("fmt ", fmt_payload(1, 1, 22050, 16))) + "data" + le32(0x7FFFF000) + pcm_bytes(s) + "\x09";
  auto wav = parse_wav(bytes);
  ASSERT_TRUE(wav);
  EXPECT_EQ(wav->samples, s) << "the odd trailing byte is not a sample";
}

TEST(Wav, RejectsWhatIsNotSixteenBitPcm) {
  EXPECT_NE(parse_error("").find("not a WAV"), std::string::npos);
  EXPECT_NE(parse_error("hello world, this is text").find("not a WAV"), std::string::npos);
  EXPECT_NE(parse_error("RIFX" + le32(100) + "WAVE").find("RIFX"), std::string::npos);
  EXPECT_NE(parse_error("RIFF" + le32(100) + "AVI ").find("not a WAV"), std::string::npos);
  EXPECT_NE(parse_error(riff(chunk("fmt ", fmt_payload(3, 1, 16000, 32)) + chunk("data", ""))).find("IEEE float"),
            std::string::npos);
  EXPECT_NE(parse_error(riff(chunk("fmt ", fmt_payload(1, 1, 16000, 8)) + chunk("data", ""))).find("8-bit"),
            std::string::npos);
  EXPECT_NE(parse_error(riff(chunk("fmt ", fmt_payload(1, 1, 16000, 24)) + chunk("data", ""))).find("24-bit"),
            std::string::npos);
  EXPECT_NE(parse_error(riff(chunk("fmt ", fmt_payload(1, 0, 16000, 16)))).find("0 channels"), std::string::npos);
  EXPECT_NE(parse_error(riff(chunk("fmt ", fmt_payload(1, 1, 0, 16)))).find("sample rate"), std::string::npos);
  EXPECT_NE(parse_error(riff(chunk("data", "abcd") + chunk("fmt ", fmt_payload(1, 1, 16000, 16))))
                .find("before the fmt"),
            std::string::npos);
  EXPECT_NE(parse_error(riff(chunk("fmt ", "short"))).find("fmt chunk"), std::string::npos);
  EXPECT_NE(parse_error(riff(chunk("fmt ", fmt_payload(1, 1, 16000, 16)))).find("before its data"),
            std::string::npos);
  auto good = make_wav(std::vector<std::int16_t>{1, 2, 3}, 16000);
  EXPECT_NE(parse_error(good.substr(0, 30)).find("before its data"), std::string::npos);
  EXPECT_NE(parse_error(riff(chunk("LIST", "", 0x7FFFFFF0))).find("too large"), std::string::npos);
}

TEST(WavStreamReader, ByteByByteGivesTheSameSamplesAndFormatAtTheHeaderEnd) {
  auto speech = xz::test::flite_speech("Byte by byte.");
  auto bytes = make_wav(speech, 16000);
  WavStreamReader reader;
  std::vector<std::int16_t> got;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto part = reader.feed(std::string_view(bytes).substr(i, 1));
    got.insert(got.end(), part.begin(), part.end());
    if (i + 1 < 44) {
      ASSERT_FALSE(reader.header_complete()) << "at byte " << i;
    }
    if (i + 1 == 44) {
      ASSERT_TRUE(reader.header_complete());
      EXPECT_EQ(reader.format()->sample_rate, 16000);
      EXPECT_EQ(reader.format()->channels, 1);
    }
    // A sample appears exactly when its second byte arrives.
    if (i >= 44) {
      ASSERT_EQ(got.size(), (i - 44 + 1) / 2);
    }
  }
  EXPECT_EQ(got, speech);
  EXPECT_TRUE(reader.data_complete());
  EXPECT_TRUE(reader.feed("trailing junk").empty());
}

TEST(WavStreamReader, StereoFramesSplitAcrossFeedsStayWhole) {
  std::vector<std::int16_t> stereo{1, 2, 3, 4, 5, 6, 7, 8};
  auto bytes = make_wav(stereo, 16000, 2);
  WavStreamReader reader;
  std::vector<std::int16_t> got;
  for (std::size_t at = 0; at < bytes.size(); at += 3) {
    auto part = reader.feed(std::string_view(bytes).substr(at, 3));
    EXPECT_EQ(part.size() % 2, 0u) << "only whole frames";
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(got, stereo);
}

TEST(WavStreamReader, ErrorRepeatsOnLaterFeeds) {
  WavStreamReader reader;
  EXPECT_THROW(reader.feed(std::string("RIFF\x10\x00\x00\x00WAVX", 12)), WavError);
  EXPECT_THROW(reader.feed("more"), WavError);
  EXPECT_FALSE(reader.incomplete_reason().empty());
}

TEST(WavStreamReader, UnknownLengthDataRunsToTheEnd) {
  WavStreamReader reader;
  reader.feed(riff(chunk("fmt ", fmt_payload(1, 1, 16000, 16))) + "data" + le32(0xFFFFFFFF));
  ASSERT_TRUE(reader.header_complete());
  std::size_t total = 0;
  for (int i = 0; i < 100; ++i) total += reader.feed(std::string(1000, '\x01')).size();
  EXPECT_EQ(total, 50000u);
  EXPECT_FALSE(reader.data_complete());
}

TEST(WavFile, WriteThenReadAndMissingFile) {
  auto dir = std::filesystem::temp_directory_path() / ("xz-wav-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / "a.wav";
  auto speech = xz::test::flite_speech("File.");
  std::string err;
  ASSERT_TRUE(xz::audio::write_wav_file(path, speech, 16000, 1, &err)) << err;
  auto wav = xz::audio::read_wav_file(path, &err);
  ASSERT_TRUE(wav) << err;
  EXPECT_EQ(wav->samples, speech);

  EXPECT_FALSE(xz::audio::read_wav_file(dir / "missing.wav", &err));
  EXPECT_NE(err.find("missing.wav"), std::string::npos);
  std::filesystem::resize_file(path, 20);
  EXPECT_FALSE(xz::audio::read_wav_file(path, &err));
  EXPECT_NE(err.find("a.wav"), std::string::npos);
  EXPECT_FALSE(xz::audio::write_wav_file(dir / "no-such-dir" / "b.wav", speech, 16000, 1, &err));
  std::filesystem::remove_all(dir);
}

TEST(Wav, DownmixAveragesChannels) {
  std::vector<std::int16_t> stereo{100, 300, -32768, -32768, 32767, 32767, 5};
  EXPECT_EQ(xz::audio::downmix_to_mono(stereo, 2), (std::vector<std::int16_t>{200, -32768, 32767}));
  EXPECT_EQ(xz::audio::downmix_to_mono(stereo, 1), stereo);
  EXPECT_THROW(xz::audio::downmix_to_mono(stereo, 0), std::invalid_argument);
}
