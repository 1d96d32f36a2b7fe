#include "tools/builtin/play_music.h"

#include <algorithm>
#include <cctype>

#include <boost/system/system_error.hpp>
#include <fmt/format.h>

#include "audio/audio_file_decoder.h"
#include "core/log.h"

namespace xz::tools::builtin {

namespace {

bool wants_any_song(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s.empty() || s == "random" || s == "any" || s == "随机" || s == "随便";
}

// One chunk of the song for the session; a named coroutine, so the decoder it pulls
// from is held by the coroutine frame, not by a lambda that may be gone.
boost::asio::awaitable<providers::PcmChunk> next_chunk(std::shared_ptr<audio::AudioFileDecoder> decoder) {
  auto samples = co_await decoder->next();
  co_return providers::PcmChunk{std::move(samples), decoder->sample_rate()};
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
  s.library.dir = cfg.str("music_dir", "./music");
  auto exts = cfg.string_list("music_ext", s.library.extensions);
  s.library.extensions.clear();
  for (auto e : exts) {
    for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!e.empty() && e[0] != '.') e.insert(e.begin(), '.');
    if (!e.empty()) s.library.extensions.push_back(e);
  }
  s.library.refresh = std::chrono::seconds(cfg.integer("refresh_time", 300, 0, 86400 * 7));
  s.sample_rate = cfg.integer("sample_rate", 24000, 8000, 48000);
  s.sox_program = cfg.str("sox_path", "sox");
  if (s.sox_program.empty()) cfg.problem("sox_path", "must not be empty");
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

  const core::SessionLog log(session.device_id(), session.session_id());
  audio::AudioFileDecoderOptions opts;
  opts.sample_rate = settings_.sample_rate;
  opts.sox_program = settings_.sox_program;
  std::shared_ptr<audio::AudioFileDecoder> decoder;
  try {
    auto path = track->path;
    decoder = co_await audio::AudioFileDecoder::open(std::move(path), pool_, std::move(opts));
  } catch (const std::runtime_error& e) {
    log.warn("play_music: {}", e.what());
    ToolResult r = ToolResult::failed(fmt::format("Sorry, I couldn't play {}.", track->title));
    r.result = e.what();
    co_return r;
  }
  log.info("play_music: playing {}", track->path.string());
  std::function<boost::asio::awaitable<providers::PcmChunk>()> next = [decoder] { return next_chunk(decoder); };
  std::string title = track->title;
  try {
    co_await session.play_audio(std::move(title), std::move(next));
  } catch (const boost::system::system_error&) {
    throw;  // cancelled (barge-in, abort): the turn's owner handles it
  } catch (const std::runtime_error& e) {
    log.warn("play_music: {}", e.what());
    ToolResult r = ToolResult::failed(fmt::format("Sorry, playing {} failed.", track->title));
    r.result = e.what();
    co_return r;
  }
  ToolResult r;
  r.action = Action::record;
  r.result = fmt::format("Playing {}", track->title);
  co_return r;
}

}  // namespace xz::tools::builtin
