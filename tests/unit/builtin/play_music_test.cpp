// play_music with a music folder the test makes (flite speech as WAV, sox-made MP3 and
// Ogg Vorbis, a test-made Ogg Opus) and a fake session that plays what it is given.
#include "tools/builtin/play_music.h"

#include <fstream>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "audio/resampler.h"
#include "audio/wav.h"
#include "builtin_test_util.h"
#include "support/speech.h"

using namespace xz::tools::builtin;
using namespace std::chrono_literals;
using xz::test::call_tool;
using xz::test::FakeSession;
using xz::test::TempDir;
using xz::test::ToolLoop;
using xz::tools::Action;
namespace asio = boost::asio;

namespace {

// The music files, made once (flite and sox take a while) and copied for each test.
struct MusicFiles {
  MusicFiles() {
    const auto tigers = xz::test::flite_speech("Two tigers, two tigers, running fast, running fast.");
    tigers_seconds = static_cast<double>(tigers.size()) / 16000;
    const auto wav = dir.path() / "Two_Tigers.wav";
    xz::audio::write_wav_file(wav, tigers, 16000);
    const auto star = dir.path() / "Twinkle Twinkle Little Star.wav";
    xz::audio::write_wav_file(star, xz::test::flite_speech("Twinkle twinkle little star."), 16000);
    std::filesystem::create_directories(dir.path() / "kids");
    xz::test::run_command("sox '" + star.string() + "' '" + (dir.path() / "kids" / "Twinkle Twinkle Little Star.mp3").string() + "'");
    std::filesystem::remove(star);
    xz::test::run_command("sox '" + wav.string() + "' '" + (dir.path() / "Happy Birthday.ogg").string() + "'");
    auto pcm48 = xz::audio::resample_once(xz::test::flite_speech("Row row row your boat."), 16000, 48000);
    std::ofstream(dir.path() / "Row Your Boat.opus", std::ios::binary) << xz::test::make_ogg_opus(pcm48);
    std::ofstream(dir.path() / "notes.txt") << "not music";
  }
  TempDir dir;
  double tigers_seconds = 0;
};

const MusicFiles& music_files() {
  static const MusicFiles files;
  return files;
}

struct MusicFixture : ::testing::Test {
  MusicFixture() : tigers_seconds(music_files().tigers_seconds) {
    std::filesystem::copy(music_files().dir.path(), dir.path(), std::filesystem::copy_options::recursive);
  }
  PlayMusicSettings settings() {
    PlayMusicSettings s;
    s.library.dir = dir.path();
    s.player.sample_rate = 24000;
    return s;
  }
  double tigers_seconds;
  TempDir dir;
  ToolLoop loop;
  FakeSession session{loop.loop().get_executor()};
};

}  // namespace

TEST_F(MusicFixture, ScansTheFolderForMusicFiles) {
  auto tracks = scan_music(settings().library);
  std::vector<std::string> titles;
  for (const auto& t : tracks) titles.push_back(t.title);
  EXPECT_EQ(titles, (std::vector<std::string>{"Happy Birthday", "Row Your Boat", "Two_Tigers",
                                              "Twinkle Twinkle Little Star"}));
  MusicLibrarySettings missing;
  missing.dir = dir.path() / "nope";
  EXPECT_TRUE(scan_music(missing).empty());
}

TEST_F(MusicFixture, FuzzyNameStreamsTheWholeSong) {
  PlayMusic tool(settings(), loop.pool());
  auto r = call_tool(loop, tool, {{"song_name", "two tigers"}}, session);
  ASSERT_EQ(r.action, Action::record) << r.result << r.response;
  EXPECT_EQ(r.result, "Playing Two_Tigers");
  ASSERT_EQ(session.titles, (std::vector<std::string>{"Two_Tigers"}));
  EXPECT_EQ(session.sample_rate, 24000);
  EXPECT_NEAR(static_cast<double>(session.pcm.size()) / 24000, tigers_seconds, 0.01);
  EXPECT_GT(session.chunks.size(), 5u);
  EXPECT_TRUE(xz::test::child_pids("sox").empty());  // sox exited and was reaped
}

TEST_F(MusicFixture, PlaysMp3InASubfolderAndOggOpus) {
  PlayMusic tool(settings(), loop.pool());
  auto mp3 = call_tool(loop, tool, {{"song_name", "Twinkle Little Star"}}, session);
  ASSERT_EQ(mp3.action, Action::record) << mp3.result << mp3.response;
  EXPECT_EQ(session.titles.back(), "Twinkle Twinkle Little Star");
  EXPECT_GT(session.pcm.size(), 24000u / 2);

  session.pcm.clear();
  auto opus = call_tool(loop, tool, {{"song_name", "row row your boat"}}, session);
  ASSERT_EQ(opus.action, Action::record) << opus.result << opus.response;
  EXPECT_EQ(session.titles.back(), "Row Your Boat");
  EXPECT_GT(session.pcm.size(), 24000u / 2);
}

TEST_F(MusicFixture, RandomAndUnknownSongs) {
  PlayMusic tool(settings(), loop.pool());
  auto any = call_tool(loop, tool, {{"song_name", "random"}}, session);
  ASSERT_EQ(any.action, Action::record);
  ASSERT_EQ(session.titles.size(), 1u);
  auto tracks = scan_music(settings().library);
  EXPECT_TRUE(std::any_of(tracks.begin(), tracks.end(), [&](const auto& t) { return t.title == session.titles[0]; }));

  auto none = call_tool(loop, tool, {{"song_name", "Bohemian Rhapsody"}}, session);
  EXPECT_EQ(none.action, Action::not_found);
  EXPECT_NE(none.response.find("Bohemian Rhapsody"), std::string::npos);
  EXPECT_NE(none.response.find("Two_Tigers"), std::string::npos);  // lists what there is
  EXPECT_EQ(session.titles.size(), 1u);
}

TEST_F(MusicFixture, EmptyLibraryAndRescans) {
  auto s = settings();
  s.library.dir = dir.path() / "later";
  s.library.refresh = 0s;  // rescan on every call
  PlayMusic tool(s, loop.pool());
  auto empty = call_tool(loop, tool, {{"song_name", "two tigers"}}, session);
  EXPECT_EQ(empty.action, Action::not_found);

  std::filesystem::create_directories(s.library.dir);
  std::filesystem::copy_file(dir.path() / "Two_Tigers.wav", s.library.dir / "Two Tigers.WAV");
  auto found = call_tool(loop, tool, {{"song_name", "two tigers"}}, session);
  EXPECT_EQ(found.action, Action::record) << found.response;
}

TEST_F(MusicFixture, BrokenFileIsAnError) {
  std::ofstream(dir.path() / "Broken Song.mp3", std::ios::binary) << std::string(3000, '\x42');
  PlayMusic tool(settings(), loop.pool());
  auto r = call_tool(loop, tool, {{"song_name", "broken song"}}, session);
  EXPECT_EQ(r.action, Action::error);
  EXPECT_NE(r.response.find("Broken Song"), std::string::npos);
  EXPECT_NE(r.result.find("sox"), std::string::npos) << r.result;
}

TEST_F(MusicFixture, CancellingPlaybackKillsSox) {
  // Long enough that sox is still writing when playback stops.
  const auto long_song = dir.path() / "Long Song.mp3";
  xz::test::run_command("sox -n -r 16000 -c 1 '" + long_song.string() + "' synth 15 sine 440");
  PlayMusic tool(settings(), loop.pool());
  session.hold_after_chunks = 2;
  auto holding = session.holding.get_future();

  asio::cancellation_signal cancel;
  auto call = [&tool, this]() -> xz::core::Task<xz::tools::ToolResult> {
    nlohmann::json args = {{"song_name", "long song"}};
    co_return co_await tool.call(std::move(args), session);
  };
  auto fut = asio::co_spawn(loop.loop(), call, asio::bind_cancellation_slot(cancel.slot(), asio::use_future));
  ASSERT_EQ(holding.wait_for(10s), std::future_status::ready);
  auto sox = xz::test::child_pids("sox");
  ASSERT_EQ(sox.size(), 1u);

  asio::post(loop.loop(), [&] { cancel.emit(asio::cancellation_type::terminal); });
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  EXPECT_THROW(fut.get(), boost::system::system_error);
  EXPECT_TRUE(xz::test::wait_until_reaped(sox[0], 5s)) << "sox " << sox[0] << " was not killed and reaped";
}

TEST(PlayMusicSettings, ReadsTheReferenceKeys) {
  nlohmann::json root = nlohmann::json::object();
  xz::core::set_path(root, "plugins.play_music",
                     {{"music_dir", "/srv/music"}, {"music_ext", {"MP3", ".flac"}}, {"refresh_time", 60}});
  std::vector<std::string> problems;
  auto s = PlayMusicSettings::from(PluginConfig(xz::core::Config(root), "play_music", problems));
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(s.library.dir, "/srv/music");
  EXPECT_EQ(s.library.extensions, (std::vector<std::string>{".mp3", ".flac"}));
  EXPECT_EQ(s.library.refresh, std::chrono::seconds(60));
}
