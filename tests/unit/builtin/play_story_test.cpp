// play_story with a story folder the test makes (flite speech as WAV in category
// folders, one sox-made MP3) and a fake session that plays what it is given.
#include "tools/builtin/play_story.h"

#include <fstream>

#include <gtest/gtest.h>

#include "audio/wav.h"
#include "builtin_test_util.h"
#include "support/speech.h"

using namespace xz::tools::builtin;
using xz::test::call_tool;
using xz::test::FakeSession;
using xz::test::TempDir;
using xz::test::ToolLoop;
using xz::tools::Action;

namespace {

struct StoryFiles {
  StoryFiles() {
    namespace fs = std::filesystem;
    for (const char* folder : {"Bedtime", "Adventure", "Fairy Tales"}) fs::create_directories(dir.path() / folder);
    xz::audio::write_wav_file(dir.path() / "Bedtime" / "A Golden Gift.wav",
                              xz::test::flite_speech("Once upon a time there was a golden gift."), 16000);
    xz::audio::write_wav_file(dir.path() / "Bedtime" / "Honest Jack.wav", xz::test::flite_speech("Jack was honest."),
                              16000);
    const auto wolf = dir.path() / "Adventure" / "The Boy Who Cried Wolf.wav";
    xz::audio::write_wav_file(wolf, xz::test::flite_speech("A boy cried wolf."), 16000);
    xz::test::run_command("sox '" + wolf.string() + "' '" + (dir.path() / "Adventure" / "Wolf Again.mp3").string() + "'");
    xz::audio::write_wav_file(dir.path() / "Fairy Tales" / "Cinderella.wav", xz::test::flite_speech("A glass shoe."),
                              16000);
    xz::audio::write_wav_file(dir.path() / "小松鼠.wav", xz::test::flite_speech("A squirrel."), 16000);
    std::ofstream(dir.path() / "Bedtime" / "metadata.json") << "{}";
  }
  TempDir dir;
};

const StoryFiles& story_files() {
  static const StoryFiles files;
  return files;
}

struct StoryFixture : ::testing::Test {
  StoryFixture() {
    std::filesystem::copy(story_files().dir.path(), dir.path(), std::filesystem::copy_options::recursive);
  }
  PlayStorySettings settings() {
    PlayStorySettings s;
    s.library.dir = dir.path();
    return s;
  }
  TempDir dir;
  ToolLoop loop;
  FakeSession session{loop.loop().get_executor()};
};

}  // namespace

TEST(PlayStoryText, CategoriesAndNames) {
  const std::vector<std::string> folders{"Bedtime", "Fantasy", "Fairy Tales", "Educational", "Adventure", "恐龙"};
  EXPECT_EQ(match_story_category("bedtime story", folders), "Bedtime");
  EXPECT_EQ(match_story_category("sleep story", folders), "Bedtime");
  EXPECT_EQ(match_story_category("fairytale", folders), "Fairy Tales");
  EXPECT_EQ(match_story_category("magic", folders), "Fantasy");
  EXPECT_EQ(match_story_category("恐龙故事", folders), "恐龙");
  EXPECT_EQ(match_story_category("random", folders), std::nullopt);
  EXPECT_EQ(match_story_category("cooking", folders), std::nullopt);
  EXPECT_EQ(match_story_category("", folders), std::nullopt);

  EXPECT_EQ(story_name_in("tell me the story of The Boy Who Cried Wolf"), "Boy Who Cried Wolf");
  EXPECT_EQ(story_name_in("讲小松鼠的故事"), "小松鼠");
  EXPECT_EQ(story_name_in("tell me a story"), "");

  EXPECT_EQ(story_category("/s/Bedtime/x.mp3", "/s"), "Bedtime");
  EXPECT_EQ(story_category("/s/Bedtime/deep/x.mp3", "/s"), "Bedtime");
  EXPECT_EQ(story_category("/s/x.mp3", "/s"), "");
}

TEST_F(StoryFixture, ANamedStoryPlaysThatStory) {
  PlayStory tool(settings(), loop.pool());
  auto r = call_tool(loop, tool, {{"user_request", "tell me The Boy Who Cried Wolf"}, {"story_type", "specific"}},
                     session);
  ASSERT_EQ(r.action, Action::record) << r.result << r.response;
  EXPECT_EQ(r.result, "playing the story The Boy Who Cried Wolf");
  ASSERT_EQ(session.titles, (std::vector<std::string>{"The Boy Who Cried Wolf"}));
  EXPECT_GT(session.pcm.size(), 24000u / 2);  // the file's audio reached the session
  EXPECT_EQ(session.sample_rate, 24000);

  auto zh = call_tool(loop, tool, {{"user_request", "讲小松鼠的故事"}, {"story_type", "specific"}}, session);
  ASSERT_EQ(zh.action, Action::record) << zh.result;
  EXPECT_EQ(session.titles.back(), "小松鼠");
}

TEST_F(StoryFixture, ACategoryPlaysOneOfItsStories) {
  PlayStory tool(settings(), loop.pool());
  for (int i = 0; i < 6; ++i) {
    auto r = call_tool(loop, tool,
                       {{"user_request", "a bedtime story please"}, {"story_type", "category"},
                        {"category_preference", "bedtime"}},
                       session);
    ASSERT_EQ(r.action, Action::record) << r.result;
    const auto& t = session.titles.back();
    EXPECT_TRUE(t == "Here's a bedtime story: A Golden Gift" || t == "Here's a bedtime story: Honest Jack") << t;
  }
  // The category may come only in the request.
  auto r = call_tool(loop, tool, {{"user_request", "fairy tale"}, {"story_type", "category"}}, session);
  ASSERT_EQ(r.action, Action::record);
  EXPECT_EQ(session.titles.back(), "Here's a fairy tales story: Cinderella");
}

TEST_F(StoryFixture, AnUnknownNameOrARandomRequestPlaysSomeStory) {
  PlayStory tool(settings(), loop.pool());
  auto r = call_tool(loop, tool, {{"user_request", "tell me Pinocchio"}, {"story_type", "specific"}}, session);
  ASSERT_EQ(r.action, Action::record) << r.result;
  EXPECT_EQ(r.result.rfind("No story matches 'Pinocchio'; playing the story ", 0), 0u) << r.result;
  ASSERT_EQ(session.titles.size(), 1u);
  EXPECT_EQ(session.titles[0].rfind("Here's a story for you: ", 0), 0u);

  auto any = call_tool(loop, tool, {{"user_request", "tell me a story"}, {"story_type", "random"}}, session);
  ASSERT_EQ(any.action, Action::record);
  // A story named in a "random" request is still that story.
  auto named = call_tool(loop, tool, {{"user_request", "the golden gift"}, {"story_type", "random"}}, session);
  ASSERT_EQ(named.action, Action::record);
  EXPECT_EQ(session.titles.back(), "A Golden Gift");
}

TEST_F(StoryFixture, NoStoriesAndBrokenFilesAreSaidSo) {
  auto s = settings();
  s.library.dir = dir.path() / "missing";
  PlayStory empty(s, loop.pool());
  auto none = call_tool(loop, empty, {{"user_request", "a story"}, {"story_type", "random"}}, session);
  EXPECT_EQ(none.action, Action::not_found);
  EXPECT_FALSE(none.response.empty());

  std::ofstream(dir.path() / "Adventure" / "Broken Tale.mp3", std::ios::binary) << std::string(3000, '\x42');
  PlayStory tool(settings(), loop.pool());
  auto broken = call_tool(loop, tool, {{"user_request", "Broken Tale"}, {"story_type", "specific"}}, session);
  EXPECT_EQ(broken.action, Action::error);
  EXPECT_NE(broken.response.find("Broken Tale"), std::string::npos) << broken.response;
  EXPECT_NE(broken.result.find("sox"), std::string::npos) << broken.result;
}

TEST(PlayStorySettings, ReadsTheReferenceKeys) {
  nlohmann::json root = nlohmann::json::object();
  xz::core::set_path(root, "plugins.play_story",
                     {{"story_dir", "/srv/stories"}, {"story_ext", ".MP3;.wav; .p3"}, {"refresh_time", 60}});
  std::vector<std::string> problems;
  auto s = PlayStorySettings::from(PluginConfig(xz::core::Config(root), "play_story", problems));
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  EXPECT_EQ(s.library.dir, "/srv/stories");
  EXPECT_EQ(s.library.extensions, (std::vector<std::string>{".mp3", ".wav", ".p3"}));
  EXPECT_EQ(s.library.refresh, std::chrono::seconds(60));

  nlohmann::json defaults = nlohmann::json::object();
  auto d = PlayStorySettings::from(PluginConfig(xz::core::Config(defaults), "play_story", problems));
  EXPECT_EQ(d.library.dir, "./stories");
}
