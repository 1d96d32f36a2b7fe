#include "tools/builtin/music_library.h"

#include <algorithm>
#include <cctype>

#include "core/async.h"
#include "tools/builtin/fuzzy_match.h"

namespace xz::tools::builtin {

namespace fs = std::filesystem;

std::vector<MusicTrack> scan_music(const MusicLibrarySettings& settings) {
  std::vector<MusicTrack> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(settings.dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (out.size() >= settings.max_files) break;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    std::string ext = it->path().extension().string();
    for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::find(settings.extensions.begin(), settings.extensions.end(), ext) == settings.extensions.end()) continue;
    out.push_back({it->path(), it->path().stem().string()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

std::optional<MusicTrack> find_track(const std::vector<MusicTrack>& tracks, std::string_view query) {
  const MusicTrack* best = nullptr;
  double best_score = kTitleMatchThreshold;
  for (const auto& t : tracks) {
    const double score = title_match_score(query, t.title);
    if (score > best_score) {
      best_score = score;
      best = &t;
    }
  }
  if (!best) return std::nullopt;
  return *best;
}

MusicLibrary::MusicLibrary(MusicLibrarySettings settings, boost::asio::thread_pool& pool)
    : settings_(std::move(settings)), pool_(pool) {}

boost::asio::awaitable<MusicLibrary::Tracks> MusicLibrary::tracks() {
  {
    std::lock_guard lock(mutex_);
    if (tracks_ && std::chrono::steady_clock::now() - scanned_at_ < settings_.refresh) co_return tracks_;
  }
  // Sessions that find the list stale at the same moment each scan; the last one wins.
  auto scanned = co_await core::offload(pool_, [this] {
    return std::make_shared<const std::vector<MusicTrack>>(scan_music(settings_));
  });
  std::lock_guard lock(mutex_);
  tracks_ = scanned;
  scanned_at_ = std::chrono::steady_clock::now();
  co_return scanned;
}

}  // namespace xz::tools::builtin
