#pragma once
// play_music(song_name): plays a song from the local music folder on the device. The
// name is matched fuzzily against file names ("random" or none picks one); the file
// is decoded as it plays and streamed to the session as PCM.
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "tools/builtin/music_library.h"
#include "tools/builtin/plugin_config.h"
#include "tools/builtin/track_player.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/tool.h"

namespace xz::tools::builtin {

struct PlayMusicSettings {
  MusicLibrarySettings library;
  TrackPlayerSettings player;
  std::string description;

  static PlayMusicSettings from(const PluginConfig& cfg);
};

class PlayMusic final : public Tool {
 public:
  PlayMusic(PlayMusicSettings settings, boost::asio::thread_pool& pool);
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  std::size_t random_index(std::size_t n);

  PlayMusicSettings settings_;
  boost::asio::thread_pool& pool_;
  MusicLibrary library_;
  providers::ToolSchema schema_;
  std::mutex random_mutex_;
  std::mt19937 random_;
};

}  // namespace xz::tools::builtin
