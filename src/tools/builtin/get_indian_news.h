#pragma once
// get_indian_news(source?, detail?, lang): one news item from an Indian news source's
// RSS feed (Times of India, The Hindu, Indian Express, NDTV, ...), picked at random; with
// detail=true, the text of the article read last in this session. The reference's module
// get_news_from_indian_sources; its feeds are plugins.get_indian_news.sources.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/http_client.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/builtin/news_article.h"
#include "tools/builtin/plugin_config.h"
#include "tools/builtin/session_memo.h"
#include "tools/tool.h"

namespace xz::tools::builtin {

struct IndianNewsSettings {
  // source key ("times_of_india") -> RSS URL; the first is the default source.
  std::vector<std::pair<std::string, std::string>> sources = {
      {"times_of_india", "https://timesofindia.indiatimes.com/rssfeedstopstories.cms"},
      {"hindu", "https://www.thehindu.com/feeder/default.rss"},
      {"indian_express", "https://indianexpress.com/feed/"},
      {"ndtv", "https://feeds.feedburner.com/ndtvnews-top-stories"},
      {"hindustan_times", "https://www.hindustantimes.com/feeds/rss/news/rssfeed.xml"},
      {"economic_times", "https://economictimes.indiatimes.com/rssfeedstopstories.cms"},
      {"business_standard", "https://www.business-standard.com/rss/home_page_top_stories.rss"},
      {"india_today", "https://www.indiatoday.in/rss/1206578"},
      {"news18", "https://www.news18.com/rss/india.xml"},
      {"zee_news", "https://zeenews.india.com/rss/india-national-news.xml"},
  };
  std::chrono::milliseconds timeout{15000};
  std::size_t max_detail_chars = 2000;
  bool allow_private_links = false;
  std::string description;

  static IndianNewsSettings from(const PluginConfig& cfg);
};

// The source a user's words name, as the reference matches them ("The Hindu" -> "hindu",
// "Times of India" -> "times_of_india"); the first source when none matches.
std::string indian_news_source(std::string_view words, const IndianNewsSettings& settings);

// "times_of_india" -> "Times Of India".
std::string source_display_name(std::string_view key);

class GetIndianNews final : public Tool {
 public:
  GetIndianNews(IndianNewsSettings settings, std::shared_ptr<net::HttpClient> http,
                NewsPicker pick = random_news_picker());
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  IndianNewsSettings settings_;
  std::shared_ptr<net::HttpClient> http_;
  NewsPicker pick_;
  SessionMemo<NewsItemRead> last_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
