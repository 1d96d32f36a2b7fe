#pragma once
// The local music folder play_music plays from: scanned on the worker pool, rescanned
// when older than the refresh time, matched against spoken titles.
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

namespace xz::tools::builtin {

struct MusicTrack {
  std::filesystem::path path;
  std::string title;  // the file name without folder and extension
};

struct MusicLibrarySettings {
  std::filesystem::path dir = "./music";
  std::vector<std::string> extensions{".mp3", ".wav", ".ogg", ".opus"};  // lower case
  std::chrono::seconds refresh{300};
  std::size_t max_files = 10000;
};

// Blocking: the matching files under settings.dir (recursively), sorted by path. A
// missing folder is an empty library.
std::vector<MusicTrack> scan_music(const MusicLibrarySettings& settings);

// The track whose title best matches `query` (see title_match_score), if any matches.
std::optional<MusicTrack> find_track(const std::vector<MusicTrack>& tracks, std::string_view query);

class MusicLibrary {
 public:
  MusicLibrary(MusicLibrarySettings settings, boost::asio::thread_pool& pool);

  using Tracks = std::shared_ptr<const std::vector<MusicTrack>>;
  // The current list; scans first (on the pool) when it was never scanned or is stale.
  // Safe from any executor.
  boost::asio::awaitable<Tracks> tracks();
  const MusicLibrarySettings& settings() const { return settings_; }

 private:
  MusicLibrarySettings settings_;
  boost::asio::thread_pool& pool_;
  std::mutex mutex_;
  Tracks tracks_;
  std::chrono::steady_clock::time_point scanned_at_;
};

}  // namespace xz::tools::builtin
