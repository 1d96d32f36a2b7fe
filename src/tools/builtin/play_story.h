#pragma once
// play_story(user_request, story_type, category_preference?, requested_language?): plays
// a story from the local story folder (plugins.play_story.story_dir), whose first-level
// folders are its categories ("Bedtime", "Fantasy", ...). A named story is matched
// fuzzily against file names, a category picks one of its stories, anything else (or
// no match) picks one at random, as the reference does. Playback is play_music's.
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/builtin/music_library.h"
#include "tools/builtin/plugin_config.h"
#include "tools/builtin/track_player.h"
#include "tools/tool.h"

namespace xz::tools::builtin {

struct PlayStorySettings {
  MusicLibrarySettings library;  // story_dir (./stories), story_ext, refresh_time
  TrackPlayerSettings player;
  std::string description;

  static PlayStorySettings from(const PluginConfig& cfg);
};

// The category of a story: its first folder below `dir` ("" for a file directly in it).
std::string story_category(const std::filesystem::path& file, const std::filesystem::path& dir);

// The category among `categories` that `preference` names ("bedtime story" ->
// "Bedtime", "fairytale" -> "Fairy Tales"), if any.
std::optional<std::string> match_story_category(std::string_view preference,
                                                const std::vector<std::string>& categories);

// The story's name in a spoken request, without the words around it ("tell me the story
// of The Boy Who Cried Wolf" -> "boy who cried wolf", "讲小松鼠的故事" -> "小松鼠").
std::string story_name_in(std::string_view request);

class PlayStory final : public Tool {
 public:
  PlayStory(PlayStorySettings settings, boost::asio::thread_pool& pool);
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  const MusicTrack& pick(const std::vector<const MusicTrack*>& from);

  PlayStorySettings settings_;
  boost::asio::thread_pool& pool_;
  MusicLibrary library_;
  providers::ToolSchema schema_;
  std::mutex random_mutex_;
  std::mt19937 random_;
};

}  // namespace xz::tools::builtin
