#include "tools/builtin/play_music.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>


namespace xz::tools::builtin {

namespace {

bool wants_any_song(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s.empty() || s == "random" || s == "any" || s == "随机" || s == "随便";
}

std::string some_titles(const std::vector<MusicTrack>& tracks, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < std::min(n, tracks.size()); ++i) out += (i ? ", " : "") + tracks[i].title;
  if (tracks.size() > n) out += fmt::format(" and {} more", tracks.size() - n);
  return out;
}

}  // namespace

PlayMusicSettings PlayMusicSettings::from(const PluginConfig& cfg) {
  PlayMusicSettings s;
  s.library = library_settings_from(cfg, "music_dir", "music_ext", "./music");
  s.player = TrackPlayerSettings::from(cfg);
  s.description = cfg.description("");
  return s;
}

PlayMusic::PlayMusic(PlayMusicSettings settings, boost::asio::thread_pool& pool)
    : settings_(std::move(settings)), pool_(pool), library_(settings_.library, pool), random_(std::random_device{}()) {
  schema_.name = "play_music";
  schema_.description = !settings_.description.empty()
                            ? settings_.description
                            : "Play a song or music on the device (唱歌, 听歌, 播放音乐). Use when the user asks to "
                              "play, sing or listen to music.";
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"song_name",
         {{"type", "string"},
          {"description",
           "The song's name as the user said it, e.g. 'Two Tigers' for 'play Two Tigers'; 'random' when the user "
           "did not name a song."}}}}},
      {"required", {"song_name"}},
  };
}

std::size_t PlayMusic::random_index(std::size_t n) {
  std::lock_guard lock(random_mutex_);
  return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_);
}

boost::asio::awaitable<ToolResult> PlayMusic::call(nlohmann::json arguments, SessionActions& session) {
  std::string song;
  if (arguments.is_object() && arguments.contains("song_name") && arguments["song_name"].is_string())
    song = arguments["song_name"].get<std::string>();
  const MusicLibrary::Tracks tracks = co_await library_.tracks();
  ToolResult missing;
  missing.action = Action::not_found;
  if (tracks->empty()) {
    missing.result = fmt::format("No music files in {}", settings_.library.dir.string());
    missing.response = "Sorry, there is no music in my library yet.";
    co_return missing;
  }
  std::optional<MusicTrack> track;
  if (wants_any_song(song))
    track = (*tracks)[random_index(tracks->size())];
  else
    track = find_track(*tracks, song);
  if (!track) {
    missing.result = fmt::format("No song matches '{}'", song);
    missing.response =
        fmt::format("Sorry, I couldn't find the song {}. I have: {}.", song, some_titles(*tracks, 5));
    co_return missing;
  }

  std::string subtitle = track->title;
  co_return co_await play_track(std::move(*track), std::move(subtitle), settings_.player, pool_, session, "play_music");
}

}  // namespace xz::tools::builtin
