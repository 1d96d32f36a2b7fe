#pragma once
// get_indian_news_api(category?, detail?, lang): one current Indian news item. The
// reference ships this function with canned demo headlines and NewsAPI left as a
// comment; here the news is real: NewsAPI's top headlines for India when
// plugins.get_indian_news_api.api_key is set, else the first of the reference's Indian
// RSS feeds that answers (its first 5 items). detail=true reads the article of the item
// read last in this session.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/http_client.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/builtin/news_article.h"
#include "tools/builtin/plugin_config.h"
#include "tools/builtin/session_memo.h"
#include "tools/tool.h"

namespace xz::tools::builtin {

struct IndianNewsApiSettings {
  std::string api_key;  // NewsAPI; "" = the RSS feeds
  std::string api_url = "https://newsapi.org/v2/top-headlines";
  std::string country = "in";
  std::vector<std::string> feeds = {
      "https://pib.gov.in/rss/leng.xml",
      "https://ddnews.gov.in/rss.xml",
      "https://www.business-standard.com/rss/home_page_top_stories.rss",
      "https://www.livemint.com/rss/news",
      "https://scroll.in/feed",
      "https://thewire.in/feed",
      "https://www.thequint.com/feed",
  };
  std::chrono::milliseconds timeout{10000};
  std::size_t max_detail_chars = 2000;
  bool allow_private_links = false;
  std::string description;

  static IndianNewsApiSettings from(const PluginConfig& cfg);
};

struct NewsApiArticle {
  std::string title, description, source, published, url;
};

// The articles of a NewsAPI answer ({"status":"ok","articles":[...]}); throws WebApiError
// for {"status":"error",...} (naming its code and message) and non-objects. Pure.
std::vector<NewsApiArticle> newsapi_articles(const nlohmann::json& answer);

class GetIndianNewsApi final : public Tool {
 public:
  GetIndianNewsApi(IndianNewsApiSettings settings, std::shared_ptr<net::HttpClient> http,
                   NewsPicker pick = random_news_picker());
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  boost::asio::awaitable<std::vector<NewsApiArticle>> from_newsapi(std::string category);
  boost::asio::awaitable<std::vector<NewsApiArticle>> from_feeds(SessionActions& session);

  IndianNewsApiSettings settings_;
  std::shared_ptr<net::HttpClient> http_;
  NewsPicker pick_;
  SessionMemo<NewsItemRead> last_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
