#include "tools/builtin/track_player.h"

#include <cctype>

#include <boost/system/system_error.hpp>
#include <fmt/format.h>

#include "audio/audio_file_decoder.h"
#include "core/log.h"

namespace xz::tools::builtin {

namespace {

// One chunk of the file for the session; a named coroutine, so the decoder it pulls
// from is held by the coroutine frame, not by a lambda that may be gone.
boost::asio::awaitable<providers::PcmChunk> next_chunk(std::shared_ptr<audio::AudioFileDecoder> decoder) {
  auto samples = co_await decoder->next();
  co_return providers::PcmChunk{std::move(samples), decoder->sample_rate()};
}

}  // namespace

TrackPlayerSettings TrackPlayerSettings::from(const PluginConfig& cfg) {
  TrackPlayerSettings s;
  s.sample_rate = cfg.integer("sample_rate", 24000, 8000, 48000);
  s.sox_program = cfg.str("sox_path", "sox");
  if (s.sox_program.empty()) cfg.problem("sox_path", "must not be empty");
  return s;
}

MusicLibrarySettings library_settings_from(const PluginConfig& cfg, std::string_view dir_key,
                                           std::string_view ext_key, std::string default_dir) {
  MusicLibrarySettings s;
  s.dir = cfg.str(dir_key, std::move(default_dir));
  auto listed = cfg.string_list(ext_key, s.extensions);
  s.extensions.clear();
  for (const auto& item : listed) {
    // The reference also takes ".mp3;.wav;.p3".
    std::size_t start = 0;
    while (start <= item.size()) {
      std::size_t end = item.find(';', start);
      if (end == std::string::npos) end = item.size();
      std::string e = item.substr(start, end - start);
      start = end + 1;
      std::erase_if(e, [](unsigned char c) { return std::isspace(c); });
      for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (e.empty()) continue;
      if (e[0] != '.') e.insert(e.begin(), '.');
      s.extensions.push_back(e);
    }
  }
  s.refresh = std::chrono::seconds(cfg.integer("refresh_time", 300, 0, 86400 * 7));
  return s;
}

boost::asio::awaitable<ToolResult> play_track(MusicTrack track, std::string subtitle, TrackPlayerSettings settings,
                                              boost::asio::thread_pool& pool, SessionActions& session,
                                              std::string_view tool) {
  const core::SessionLog log(session.device_id(), session.session_id());
  audio::AudioFileDecoderOptions opts;
  opts.sample_rate = settings.sample_rate;
  opts.sox_program = settings.sox_program;
  std::shared_ptr<audio::AudioFileDecoder> decoder;
  try {
    auto path = track.path;
    decoder = co_await audio::AudioFileDecoder::open(std::move(path), pool, std::move(opts));
  } catch (const std::runtime_error& e) {
    log.warn("{}: {}", tool, e.what());
    ToolResult r = ToolResult::failed(fmt::format("Sorry, I couldn't play {}.", track.title));
    r.result = e.what();
    co_return r;
  }
  log.info("{}: playing {}", tool, track.path.string());
  std::function<boost::asio::awaitable<providers::PcmChunk>()> next = [decoder] { return next_chunk(decoder); };
  try {
    co_await session.play_audio(std::move(subtitle), std::move(next));
  } catch (const boost::system::system_error&) {
    throw;  // cancelled (barge-in, abort): the turn's owner handles it
  } catch (const std::runtime_error& e) {
    log.warn("{}: {}", tool, e.what());
    ToolResult r = ToolResult::failed(fmt::format("Sorry, playing {} failed.", track.title));
    r.result = e.what();
    co_return r;
  }
  ToolResult r;
  r.action = Action::record;
  r.result = fmt::format("Playing {}", track.title);
  co_return r;
}

}  // namespace xz::tools::builtin
