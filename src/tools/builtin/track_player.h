#pragma once
// Plays one file of a local audio library (play_music, play_story) on the calling
// session: decoded as it plays, streamed to the session as PCM, interruptible.
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/builtin/music_library.h"
#include "tools/builtin/plugin_config.h"
#include "tools/tool.h"

namespace xz::tools::builtin {

struct TrackPlayerSettings {
  int sample_rate = 24000;  // of the PCM handed to the session (the downlink's Opus rate)
  std::string sox_program = "sox";

  // plugins.<name>.sample_rate and sox_path.
  static TrackPlayerSettings from(const PluginConfig& cfg);
};

// plugins.<name>.<dir_key>, <ext_key> (a list, or one string of names separated by ';'
// or lines) and refresh_time.
MusicLibrarySettings library_settings_from(const PluginConfig& cfg, std::string_view dir_key,
                                           std::string_view ext_key, std::string default_dir);

// Streams `track` to the session with `subtitle` shown. A file that cannot be opened or
// decoded gives an error result that says so; cancellation propagates. `tool` names
// the function in the log.
boost::asio::awaitable<ToolResult> play_track(MusicTrack track, std::string subtitle, TrackPlayerSettings settings,
                                              boost::asio::thread_pool& pool, SessionActions& session,
                                              std::string_view tool);

}  // namespace xz::tools::builtin
