// audio::AudioFileDecoder on files the test makes: flite speech as WAV, then sox makes
// MP3 and Ogg Vorbis of it; Ogg Opus is written by the test with libopus.
#include "audio/audio_file_decoder.h"

#include <sys/wait.h>

#include <fstream>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "audio/pcm.h"
#include "audio/resampler.h"
#include "audio/wav.h"
#include "builtin_test_util.h"
#include "support/speech.h"

using namespace std::chrono_literals;
using xz::audio::AudioFileDecoder;
using xz::audio::AudioFileDecoderOptions;
using xz::core::Task;
using xz::test::TempDir;
using xz::test::ToolLoop;
namespace asio = boost::asio;

namespace {

const std::vector<std::int16_t>& speech() {
  static const auto pcm = xz::test::flite_speech("Here comes the music. Two tigers, two tigers, running fast.");
  return pcm;
}

struct Decoded {
  std::vector<std::int16_t> pcm;
  std::vector<std::size_t> chunks;
  int child_pid = -1;
};

Task<Decoded> decode_all(std::filesystem::path path, asio::thread_pool& pool, AudioFileDecoderOptions opts) {
  auto dec = co_await AudioFileDecoder::open(std::move(path), pool, std::move(opts));
  Decoded out;
  out.child_pid = dec->child_pid();
  for (;;) {
    auto chunk = co_await dec->next();
    if (chunk.empty()) break;
    out.chunks.push_back(chunk.size());
    out.pcm.insert(out.pcm.end(), chunk.begin(), chunk.end());
  }
  EXPECT_TRUE((co_await dec->next()).empty());  // stays at the end
  co_return out;
}

std::string error_of(ToolLoop& loop, std::filesystem::path path, AudioFileDecoderOptions opts = {}) {
  try {
    loop.run(decode_all(std::move(path), loop.pool(), std::move(opts)));
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

double seconds(std::size_t samples, int rate) { return static_cast<double>(samples) / rate; }

struct DecoderFixture : ::testing::Test {
  DecoderFixture() {
    wav = dir.path() / "speech.wav";
    if (!xz::audio::write_wav_file(wav, speech(), 16000)) throw std::runtime_error("cannot write the test WAV");
  }
  double speech_seconds() const { return seconds(speech().size(), 16000); }
  TempDir dir;
  ToolLoop loop;
  std::filesystem::path wav;
};

}  // namespace

TEST_F(DecoderFixture, WavThroughSoxKeepsEverySampleAtItsOwnRate) {
  AudioFileDecoderOptions o;
  o.sample_rate = 16000;
  auto d = loop.run(decode_all(wav, loop.pool(), o));
  EXPECT_GT(d.child_pid, 0);
  ASSERT_EQ(d.pcm.size(), speech().size());
  EXPECT_EQ(d.pcm, speech());
  // 100 ms chunks, only the last one shorter.
  for (std::size_t i = 0; i + 1 < d.chunks.size(); ++i) EXPECT_EQ(d.chunks[i], 1600u);
  EXPECT_LE(d.chunks.back(), 1600u);
  EXPECT_TRUE(xz::test::wait_until_reaped(d.child_pid, 5s));
}

TEST_F(DecoderFixture, ResamplesToTheRequestedRate) {
  AudioFileDecoderOptions o;
  o.sample_rate = 24000;
  o.chunk_samples = 1440;
  auto d = loop.run(decode_all(wav, loop.pool(), o));
  EXPECT_NEAR(seconds(d.pcm.size(), 24000), speech_seconds(), 0.01);
  EXPECT_EQ(d.chunks.front(), 1440u);
  EXPECT_NEAR(xz::audio::rms(d.pcm), xz::audio::rms(speech()), xz::audio::rms(speech()) * 0.1);
}

TEST_F(DecoderFixture, Mp3AndOggVorbisMadeBySox) {
  for (const char* ext : {"mp3", "ogg"}) {
    const auto file = dir.path() / (std::string("speech.") + ext);
    xz::test::run_command("sox '" + wav.string() + "' '" + file.string() + "'");
    AudioFileDecoderOptions o;
    o.sample_rate = 16000;
    auto d = loop.run(decode_all(file, loop.pool(), o));
    // Codec delay and padding add a few ms at most.
    EXPECT_NEAR(seconds(d.pcm.size(), 16000), speech_seconds(), 0.08) << ext;
    EXPECT_NEAR(xz::audio::rms(d.pcm), xz::audio::rms(speech()), xz::audio::rms(speech()) * 0.25) << ext;
  }
}

TEST_F(DecoderFixture, OggOpusIsDecodedInProcessSampleExact) {
  // 48 kHz speech of a length divisible by 3, so 16 kHz output is exact too.
  auto pcm48 = xz::audio::resample_once(speech(), 16000, 48000);
  pcm48.resize(pcm48.size() / 3 * 3);
  const auto file = dir.path() / "speech.opus";
  std::ofstream(file, std::ios::binary) << xz::test::make_ogg_opus(pcm48);

  AudioFileDecoderOptions o;
  o.sample_rate = 16000;
  auto d = loop.run(decode_all(file, loop.pool(), o));
  EXPECT_EQ(d.child_pid, -1);  // no sox for Opus
  EXPECT_EQ(d.pcm.size(), pcm48.size() / 3);
  EXPECT_NEAR(xz::audio::rms(d.pcm), xz::audio::rms(speech()), xz::audio::rms(speech()) * 0.15);

  o.sample_rate = 48000;
  auto full = loop.run(decode_all(file, loop.pool(), o));
  ASSERT_EQ(full.pcm.size(), pcm48.size());
  // Opus is lossy but the pre-skip keeps it aligned: the waveform stays close.
  double err = 0, ref = 0;
  for (std::size_t i = 0; i < pcm48.size(); ++i) {
    const double diff = static_cast<double>(full.pcm[i]) - pcm48[i];
    err += diff * diff;
    ref += static_cast<double>(pcm48[i]) * pcm48[i];
  }
  EXPECT_LT(err / ref, 0.1) << "signal-to-error too low: decoding is misaligned";

  // A rate Opus cannot decode to directly goes through the resampler.
  o.sample_rate = 22050;
  auto odd = loop.run(decode_all(file, loop.pool(), o));
  EXPECT_NEAR(seconds(odd.pcm.size(), 22050), seconds(pcm48.size(), 48000), 0.01);
}

TEST_F(DecoderFixture, DamagedOggPagesAreSkipped) {
  auto pcm48 = xz::audio::resample_once(speech(), 16000, 48000);
  std::string bytes = xz::test::make_ogg_opus(pcm48);
  // Break one byte in the middle of the file: that page fails its checksum.
  bytes[bytes.size() / 2] ^= 0x5a;
  const auto file = dir.path() / "damaged.opus";
  std::ofstream(file, std::ios::binary) << bytes;
  AudioFileDecoderOptions o;
  o.sample_rate = 48000;
  auto d = loop.run(decode_all(file, loop.pool(), o));
  EXPECT_LT(d.pcm.size(), pcm48.size());
  EXPECT_GT(d.pcm.size(), pcm48.size() * 8 / 10);
}

TEST_F(DecoderFixture, ClearErrorsForBadFiles) {
  EXPECT_NE(error_of(loop, dir.path() / "missing.mp3").find("does not exist"), std::string::npos);

  const auto junk = dir.path() / "junk.mp3";
  std::ofstream(junk, std::ios::binary) << std::string(5000, '\x13');
  const std::string e = error_of(loop, junk);
  EXPECT_NE(e.find("sox could not decode"), std::string::npos) << e;
  EXPECT_NE(e.find("junk.mp3"), std::string::npos) << e;

  const auto opus_head_only = dir.path() / "broken.opus";
  std::string bytes = xz::test::make_ogg_opus(std::vector<std::int16_t>(4800, 0));
  bytes[28 + 9] = 7;  // OpusHead says 7 channels (and the page checksum no longer holds)
  std::ofstream(opus_head_only, std::ios::binary) << bytes;
  EXPECT_FALSE(error_of(loop, opus_head_only).empty());

  AudioFileDecoderOptions no_sox;
  no_sox.sox_program = (dir.path() / "no-such-sox").string();
  EXPECT_NE(error_of(loop, wav, no_sox).find("no-such-sox"), std::string::npos);

  AudioFileDecoderOptions bad_rate;
  bad_rate.sample_rate = 1000;
  EXPECT_NE(error_of(loop, wav, bad_rate).find("sample rate"), std::string::npos);
}

TEST_F(DecoderFixture, CloseKillsAndReapsSox) {
  const int pid = loop.run([](std::filesystem::path p, asio::thread_pool& pool) -> Task<int> {
    AudioFileDecoderOptions o;
    o.chunk_samples = 160;
    auto dec = co_await AudioFileDecoder::open(std::move(p), pool, o);
    EXPECT_EQ((co_await dec->next()).size(), 160u);
    const int child = dec->child_pid();
    dec->close();
    EXPECT_EQ(dec->child_pid(), -1);
    EXPECT_TRUE((co_await dec->next()).empty());
    co_return child;
  }(wav, loop.pool()));
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(xz::test::wait_until_reaped(pid, 5s));
}

TEST_F(DecoderFixture, CancellingAWaitingReadKillsTheChild) {
  // A stand-in for sox that never writes: the read waits until it is cancelled.
  const auto stall = dir.path() / "stalling-sox";
  std::ofstream(stall) << "#!/bin/sh\nexec sleep 60\n";
  std::filesystem::permissions(stall, std::filesystem::perms::owner_all);

  AudioFileDecoderOptions o;
  o.sox_program = stall.string();
  std::shared_ptr<AudioFileDecoder> dec =
      loop.run([](std::filesystem::path p, asio::thread_pool& pool, AudioFileDecoderOptions o)
                   -> Task<std::shared_ptr<AudioFileDecoder>> {
        co_return co_await AudioFileDecoder::open(std::move(p), pool, std::move(o));
      }(wav, loop.pool(), o));
  const int pid = dec->child_pid();
  ASSERT_GT(pid, 0);

  asio::cancellation_signal cancel;
  auto fut = asio::co_spawn(
      loop.loop(), [dec]() -> Task<std::size_t> { co_return (co_await dec->next()).size(); },
      asio::bind_cancellation_slot(cancel.slot(), asio::use_future));
  EXPECT_EQ(fut.wait_for(200ms), std::future_status::timeout);  // really waiting
  asio::post(loop.loop(), [&] { cancel.emit(asio::cancellation_type::terminal); });
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  try {
    fut.get();
    ADD_FAILURE() << "the cancelled read returned";
  } catch (const boost::system::system_error& e) {
    EXPECT_EQ(e.code(), asio::error::operation_aborted);
  }
  EXPECT_TRUE(xz::test::wait_until_reaped(pid, 5s));
  dec.reset();
}
