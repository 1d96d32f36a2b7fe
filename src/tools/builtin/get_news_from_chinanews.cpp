#include "tools/builtin/get_news_from_chinanews.h"

#include <fmt/format.h>

#include "core/log.h"
#include "tools/builtin/rss_feed.h"
#include "tools/builtin/tool_args.h"
#include "tools/builtin/web_api.h"

namespace xz::tools::builtin {

namespace {

constexpr std::string_view kSuffix = "_rss_url";

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool http_url(const std::string& url) { return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0; }

}  // namespace

std::string chinanews_category(std::string_view words) {
  struct Synonym {
    std::string_view word, category;
  };
  static constexpr Synonym kSynonyms[] = {
      {"社会", "society"},       {"社会新闻", "society"},   {"society", "society"},
      {"social", "society"},     {"social news", "society"}, {"国际", "world"},
      {"国际新闻", "world"},     {"international", "world"}, {"international news", "world"},
      {"world", "world"},        {"world news", "world"},    {"财经", "finance"},
      {"财经新闻", "finance"},   {"金融", "finance"},        {"经济", "finance"},
      {"finance", "finance"},    {"financial", "finance"},   {"financial news", "finance"},
      {"economy", "finance"},    {"国内", "china"},          {"国内新闻", "china"},
      {"china", "china"},        {"domestic", "china"},      {"科技", "tech"},
      {"科技新闻", "tech"},      {"tech", "tech"},           {"technology", "tech"},
      {"体育", "sports"},        {"体育新闻", "sports"},     {"sports", "sports"},
      {"文化", "culture"},       {"文化新闻", "culture"},    {"culture", "culture"},
      {"娱乐", "entertainment"}, {"娱乐新闻", "entertainment"}, {"entertainment", "entertainment"},
  };
  std::string key = lower(words);
  key.erase(0, key.find_first_not_of(" \t"));
  key.erase(key.find_last_not_of(" \t") + 1);
  for (const auto& s : kSynonyms)
    if (key == s.word) return std::string(s.category);
  if (key.size() > kSuffix.size() && key.ends_with(kSuffix)) key.resize(key.size() - kSuffix.size());
  return key;
}

ChinanewsSettings ChinanewsSettings::from(const PluginConfig& cfg) {
  ChinanewsSettings s;
  if (const auto* node = cfg.settings()) {
    for (auto it = node->begin(); it != node->end(); ++it) {
      const std::string& key = it.key();
      if (key.size() <= kSuffix.size() || !key.ends_with(kSuffix) || it->is_null()) continue;
      const std::string category = key.substr(0, key.size() - kSuffix.size());
      const std::string url = cfg.str(key, "");
      if (!http_url(url)) {
        cfg.problem(key, "expected the http(s) URL of an RSS feed");
        continue;
      }
      s.feeds[category] = url;
    }
  }
  s.timeout = std::chrono::milliseconds(static_cast<long>(cfg.number("timeout", 10, 0.1, 120) * 1000));
  s.max_detail_chars = static_cast<std::size_t>(cfg.integer("max_detail_chars", 2000, 200, 20000));
  s.allow_private_links = cfg.boolean("allow_private_links", false);
  s.description = cfg.description("");
  return s;
}

GetNewsFromChinanews::GetNewsFromChinanews(ChinanewsSettings settings, std::shared_ptr<net::HttpClient> http,
                                           NewsPicker pick)
    : settings_(std::move(settings)), http_(std::move(http)), pick_(std::move(pick)) {
  std::string categories;
  for (const auto& [category, url] : settings_.feeds)
    if (category != "default") categories += (categories.empty() ? "" : ", ") + category;
  schema_.name = "get_news_from_chinanews";
  schema_.description =
      !settings_.description.empty()
          ? settings_.description
          : fmt::format("Get the latest news (获取最新新闻) from China News Service: reads one current news item of a "
                        "category ({}); society news when none is named. Call again with detail=true when the user "
                        "wants the details of the item just read.",
                        categories);
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"category",
         {{"type", "string"},
          {"description", fmt::format("The news category, e.g. {} (社会, 国际, 财经). Optional.", categories)}}},
        {"detail",
         {{"type", "boolean"},
          {"description", "true to get the full text of the news item read last; default false."}}},
        {"lang",
         {{"type", "string"},
          {"description", "The language code to answer the user in, e.g. zh_CN, zh_HK, en_US, ja_JP; default zh_CN."}}}}},
      {"required", {"lang"}},
  };
}

boost::asio::awaitable<ToolResult> GetNewsFromChinanews::call(nlohmann::json arguments, SessionActions& session) {
  std::string lang = string_arg(arguments, "lang");
  if (lang.empty()) lang = "zh_CN";
  lang = utf8_truncate(lang, 20);
  if (bool_arg(arguments, "detail")) co_return co_await detail(std::move(lang), session);
  co_return co_await headline(chinanews_category(string_arg(arguments, "category")), std::move(lang), session);
}

boost::asio::awaitable<ToolResult> GetNewsFromChinanews::headline(std::string category, std::string lang,
                                                                  SessionActions& session) {
  auto feed = settings_.feeds.find(category);
  if (feed == settings_.feeds.end()) feed = settings_.feeds.find("default");
  if (feed == settings_.feeds.end()) feed = settings_.feeds.begin();
  std::vector<FeedItem> items;
  try {
    // The feed URL is the administrator's, so private hosts are allowed; its links are not.
    items = co_await fetch_feed_items(*http_, feed->second, settings_.timeout, settings_.max_feed_bytes);
  } catch (const WebApiError& e) {
    core::SessionLog(session.device_id(), session.session_id()).warn("get_news_from_chinanews({}): {}", category, e.what());
    ToolResult r = ToolResult::failed("Sorry, I can't get the news right now. Please try again later.");
    r.result = e.what();
    co_return r;
  }
  if (items.empty()) co_return ToolResult::llm("The news feed has no items right now; try another category.");
  FeedItem chosen = std::move(items[pick_(items.size()) % items.size()]);
  last_.put(session.session_id(), NewsItemRead{chosen.title, chosen.link, feed->first});
  std::string text = fmt::format("A news item (answer the user in {}):\nTitle: {}\n", lang, chosen.title);
  if (!chosen.published.empty()) text += "Published: " + chosen.published + "\n";
  if (!chosen.description.empty()) text += "Content: " + chosen.description + "\n";
  text += "(Tell the user this news naturally and fluently, summarizing if needed, without extra content. If they want "
          "more, they can ask for the details.)";
  co_return ToolResult::llm(std::move(text));
}

boost::asio::awaitable<ToolResult> GetNewsFromChinanews::detail(std::string lang, SessionActions& session) {
  ArticleFetch how;
  how.timeout = settings_.timeout;
  how.max_text_bytes = settings_.max_detail_chars;
  how.allow_private_hosts = settings_.allow_private_links;
  co_return co_await news_detail_answer(last_.get(session.session_id()), *http_, how, std::move(lang), session,
                                        "get_news_from_chinanews", "get one first");
}

}  // namespace xz::tools::builtin
