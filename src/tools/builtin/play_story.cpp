#include "tools/builtin/play_story.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "core/log.h"
#include "tools/builtin/fuzzy_match.h"
#include "tools/builtin/tool_args.h"

namespace xz::tools::builtin {

namespace {

std::string lower_ascii(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trimmed(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

void erase_all(std::string& s, std::string_view what) {
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what)) s.erase(at, what.size());
}

// The reference's words for its categories, by the folder name they mean.
struct CategoryWords {
  const char* folder;
  std::array<const char*, 4> words;
};
constexpr CategoryWords kCategoryWords[] = {
    {"bedtime", {"sleep", "night", "睡前", "晚安"}},
    {"fantasy", {"magic", "magical", "奇幻", "魔法"}},
    {"fairy tales", {"fairy tale", "fairytale", "童话", "fairy"}},
    {"educational", {"education", "learning", "教育", "学习"}},
    {"adventure", {"exciting", "冒险", "探险", "adventures"}},
};

// "Bedtime Stories" / "bedtime story" / "睡前故事" -> "bedtime" / "睡前".
std::string bare_category(std::string_view name) {
  std::string s = lower_ascii(trimmed(name));
  erase_all(s, "故事");
  for (std::string_view suffix : {" stories", " story", "stories", "story"})
    if (s.size() > suffix.size() && s.ends_with(suffix)) {
      s.erase(s.size() - suffix.size());
      break;
    }
  return trimmed(s);
}

}  // namespace

PlayStorySettings PlayStorySettings::from(const PluginConfig& cfg) {
  PlayStorySettings s;
  s.library = library_settings_from(cfg, "story_dir", "story_ext", "./stories");
  s.player = TrackPlayerSettings::from(cfg);
  s.description = cfg.description("");
  return s;
}

std::string story_category(const std::filesystem::path& file, const std::filesystem::path& dir) {
  const auto rel = file.lexically_relative(dir);
  if (rel.empty() || std::distance(rel.begin(), rel.end()) < 2) return {};
  const std::string first = rel.begin()->string();
  return first == ".." ? std::string() : first;
}

std::optional<std::string> match_story_category(std::string_view preference,
                                                const std::vector<std::string>& categories) {
  const std::string want = bare_category(preference);
  if (want.empty() || want == "random" || want == "any") return std::nullopt;
  // The folder the reference's synonyms point at, when the preference is one of them.
  std::string canonical;
  for (const auto& c : kCategoryWords)
    for (const char* w : c.words)
      if (want == w || want == c.folder) canonical = c.folder;
  const std::string* best = nullptr;
  double best_score = 0.6;
  for (const auto& category : categories) {
    const std::string have = bare_category(category);
    if (have.empty()) continue;
    if (have == want || (!canonical.empty() && have == canonical)) return category;
    double score = sequence_ratio(normalise_title(want), normalise_title(have));
    if (have.find(want) != std::string::npos || want.find(have) != std::string::npos) score += 1;
    if (score > best_score) {
      best_score = score;
      best = &category;
    }
  }
  if (best) return *best;
  return std::nullopt;
}

std::string story_name_in(std::string_view request) {
  std::string s = trimmed(request);
  erase_all(s, "故事");
  for (std::string_view prefix : {"我想听", "我要听", "给我讲", "讲一个", "讲个", "讲讲", "讲", "播放", "放", "听"})
    if (s.starts_with(prefix)) {
      s.erase(0, prefix.size());
      break;
    }
  while (s.ends_with("的")) s.erase(s.size() - std::string_view("的").size());
  // Words around an English title; the reference drops the same ones before matching.
  static const std::array<std::string_view, 19> kFiller = {"story", "stories", "tale",  "tales", "a",     "an",   "the",
                                                           "play",  "tell",    "me",    "please", "of",   "about", "i",
                                                           "want",  "to",      "hear",  "listen", "some"};
  std::string out, word;
  auto flush = [&] {
    if (!word.empty() && std::find(kFiller.begin(), kFiller.end(), lower_ascii(word)) == kFiller.end())
      out += (out.empty() ? "" : " ") + word;
    word.clear();
  };
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == '.' || c == '!' || c == '?' || c == '\'')
      flush();
    else
      word.push_back(c);
  }
  flush();
  return out;
}

PlayStory::PlayStory(PlayStorySettings settings, boost::asio::thread_pool& pool)
    : settings_(std::move(settings)), pool_(pool), library_(settings_.library, pool), random_(std::random_device{}()) {
  schema_.name = "play_story";
  schema_.description =
      !settings_.description.empty()
          ? settings_.description
          : "Play a recorded story from the story collection on the device (讲故事, 播放故事). Call this for any "
            "request to tell, play or hear a story instead of making one up.";
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"user_request",
         {{"type", "string"},
          {"description", "The user's whole request, e.g. 'tell me The Boy Who Cried Wolf', 'a bedtime story', "
                          "'讲个故事'."}}},
        {"story_type",
         {{"type", "string"},
          {"enum", {"specific", "category", "random"}},
          {"description", "'specific' when the user names a story, 'category' for a kind of story ('bedtime "
                          "story'), 'random' for any story."}}},
        {"category_preference",
         {{"type", "string"},
          {"description", "The kind of story if the user said one: bedtime, fantasy, fairy tales, educational, "
                          "adventure (or another folder of the collection)."}}},
        {"requested_language",
         {{"type", "string"}, {"description", "The language the user asked the story in, if any."}}}}},
      {"required", {"user_request", "story_type"}},
  };
}

const MusicTrack& PlayStory::pick(const std::vector<const MusicTrack*>& from) {
  std::lock_guard lock(random_mutex_);
  return *from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(random_)];
}

boost::asio::awaitable<ToolResult> PlayStory::call(nlohmann::json arguments, SessionActions& session) {
  std::string request = string_arg(arguments, "user_request");
  if (request.empty()) request = string_arg(arguments, "story_name");  // the other forks' parameter
  const std::string type = lower_ascii(string_arg(arguments, "story_type"));
  std::string preference = string_arg(arguments, "category_preference");
  if (preference.empty() && type == "category") preference = request;

  const MusicLibrary::Tracks tracks = co_await library_.tracks();
  if (tracks->empty()) {
    ToolResult r;
    r.action = Action::not_found;
    r.result = fmt::format("No story files in {}", settings_.library.dir.string());
    r.response = "Sorry, I couldn't find any stories to play.";
    co_return r;
  }
  const auto& dir = settings_.library.dir;
  std::vector<std::string> categories;
  for (const auto& t : *tracks) {
    std::string c = story_category(t.path, dir);
    if (!c.empty() && std::find(categories.begin(), categories.end(), c) == categories.end()) categories.push_back(c);
  }

  std::optional<MusicTrack> chosen;
  std::string subtitle, note;
  // A category first, as the reference tries it before names.
  if (auto category = match_story_category(preference, categories)) {
    std::vector<const MusicTrack*> in;
    for (const auto& t : *tracks)
      if (story_category(t.path, dir) == *category) in.push_back(&t);
    chosen = pick(in);
    subtitle = fmt::format("Here's a {} story: {}", lower_ascii(*category), chosen->title);
  }
  // A name, for any type: the LLM may call a named story "random".
  const std::string name = story_name_in(request);
  if (!chosen && !name.empty() && name != "random" && name != "随机") {
    if (auto found = find_track(*tracks, name)) {
      chosen = std::move(found);
      subtitle = chosen->title;
    } else if (type == "specific") {
      note = fmt::format("No story matches '{}'; ", name);
    }
  }
  if (!chosen) {
    std::vector<const MusicTrack*> all;
    for (const auto& t : *tracks) all.push_back(&t);
    chosen = pick(all);
    subtitle = fmt::format("Here's a story for you: {}", chosen->title);
  }
  core::SessionLog(session.device_id(), session.session_id())
      .info("play_story({}, {}, {}): {}", request, type, preference, chosen->path.string());
  std::string title = chosen->title;
  ToolResult r = co_await play_track(std::move(*chosen), std::move(subtitle), settings_.player, pool_, session,
                                     "play_story");
  if (r.action == Action::record) r.result = fmt::format("{}playing the story {}", note, title);
  co_return r;
}

}  // namespace xz::tools::builtin
