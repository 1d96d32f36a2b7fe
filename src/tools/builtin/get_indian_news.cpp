#include "tools/builtin/get_indian_news.h"

#include <cctype>

#include <fmt/format.h>

#include "core/log.h"
#include "tools/builtin/tool_args.h"
#include "tools/builtin/web_api.h"

namespace xz::tools::builtin {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool http_url(std::string_view url) { return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0; }

}  // namespace

IndianNewsSettings IndianNewsSettings::from(const PluginConfig& cfg) {
  IndianNewsSettings s;
  if (const nlohmann::json* sources = cfg.find("sources")) {
    if (!sources->is_object() || sources->empty()) {
      cfg.problem("sources", "expected a mapping of source names to RSS feed URLs");
    } else {
      s.sources.clear();
      for (auto it = sources->begin(); it != sources->end(); ++it) {
        if (!it->is_string() || !http_url(it->get<std::string>())) {
          cfg.problem("sources." + it.key(), "expected the http(s) URL of an RSS feed");
          continue;
        }
        s.sources.emplace_back(lower(it.key()), it->get<std::string>());
      }
    }
  }
  s.timeout = std::chrono::milliseconds(static_cast<long>(cfg.number("timeout", 15, 0.1, 120) * 1000));
  s.max_detail_chars = static_cast<std::size_t>(cfg.integer("max_detail_chars", 2000, 200, 20000));
  s.allow_private_links = cfg.boolean("allow_private_links", false);
  s.description = cfg.description("");
  return s;
}

std::string indian_news_source(std::string_view words, const IndianNewsSettings& settings) {
  const std::string said = lower(words);
  if (!said.empty())
    for (const auto& [key, url] : settings.sources) {
      std::string spaced = key;
      for (auto& c : spaced)
        if (c == '_') c = ' ';
      if (said.find(spaced) != std::string::npos || spaced.find(said) != std::string::npos) return key;
    }
  return settings.sources.empty() ? std::string() : settings.sources.front().first;
}

std::string source_display_name(std::string_view key) {
  std::string out;
  bool start = true;
  for (char c : key) {
    if (c == '_') {
      out.push_back(' ');
      start = true;
      continue;
    }
    out.push_back(start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    start = false;
  }
  return out;
}

GetIndianNews::GetIndianNews(IndianNewsSettings settings, std::shared_ptr<net::HttpClient> http, NewsPicker pick)
    : settings_(std::move(settings)), http_(std::move(http)), pick_(std::move(pick)) {
  std::string names;
  for (const auto& [key, url] : settings_.sources) names += (names.empty() ? "" : ", ") + source_display_name(key);
  schema_.name = "get_indian_news";
  schema_.description =
      !settings_.description.empty()
          ? settings_.description
          : fmt::format("Get latest Indian news from major Indian news sources ({}). Reads one news item; call again "
                        "with detail=true for the details of the item just read.",
                        names);
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"source",
         {{"type", "string"},
          {"description", "Indian news source, e.g. Times of India, The Hindu, Indian Express, NDTV. Optional."}}},
        {"detail", {{"type", "boolean"}, {"description", "Whether to get detailed content, defaults to false."}}},
        {"lang", {{"type", "string"}, {"description", "Language code for the response, defaults to en_US."}}}}},
      {"required", {"lang"}},
  };
}

boost::asio::awaitable<ToolResult> GetIndianNews::call(nlohmann::json arguments, SessionActions& session) {
  std::string lang = utf8_truncate(string_arg(arguments, "lang"), 20);
  if (lang.empty()) lang = "en_US";
  if (bool_arg(arguments, "detail")) {
    ArticleFetch how;
    how.timeout = settings_.timeout;
    how.max_text_bytes = settings_.max_detail_chars;
    how.allow_private_hosts = settings_.allow_private_links;
    co_return co_await news_detail_answer(last_.get(session.session_id()), *http_, how, std::move(lang), session,
                                          "get_indian_news", "get a news item first");
  }
  const std::string key = indian_news_source(string_arg(arguments, "source"), settings_);
  std::string url;
  for (const auto& [k, u] : settings_.sources)
    if (k == key) url = u;
  const std::string name = source_display_name(key);
  std::vector<FeedItem> items;
  try {
    items = co_await fetch_feed_items(*http_, url, settings_.timeout);
  } catch (const WebApiError& e) {
    core::SessionLog(session.device_id(), session.session_id()).warn("get_indian_news({}): {}", key, e.what());
    ToolResult r = ToolResult::failed(fmt::format("Sorry, I couldn't get news from {} right now. Please try again later.", name));
    r.result = e.what();
    co_return r;
  }
  if (items.empty())
    co_return ToolResult::llm(fmt::format("Sorry, {} has no news items right now; try another source.", name));
  FeedItem chosen = std::move(items[pick_(items.size()) % items.size()]);
  last_.put(session.session_id(), NewsItemRead{chosen.title, chosen.link, key});
  co_return ToolResult::llm(fmt::format(
      "Based on the following data, respond to user's Indian news query in {}:\n\nNews source: {}\nNews title: {}\n"
      "Published: {}\nSummary: {}\n\n(Please present this Indian news to the user naturally. If user wants more "
      "details, they can ask for detailed content.)",
      lang, name, chosen.title, chosen.published.empty() ? "Unknown time" : chosen.published,
      chosen.description.empty() ? "No description" : chosen.description));
}

}  // namespace xz::tools::builtin
