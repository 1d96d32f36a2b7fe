#pragma once
// get_news_from_chinanews(category?, detail?, lang): a news item from a chinanews.com.cn
// RSS feed (or any RSS/Atom feed), picked at random; with detail=true, the text of the
// article read last in this session. Feeds are configured per category as
// plugins.get_news_from_chinanews.<category>_rss_url (society, world, finance, and any
// other), plus default_rss_url; the category the LLM names is matched in Chinese or English.
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "net/http_client.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/builtin/news_article.h"
#include "tools/builtin/plugin_config.h"
#include "tools/builtin/session_memo.h"
#include "tools/tool.h"

namespace xz::tools::builtin {

struct ChinanewsSettings {
  // category ("society", "world", ...) -> feed URL; "default" is used for anything else.
  std::map<std::string, std::string> feeds = {
      {"default", "https://www.chinanews.com.cn/rss/society.xml"},
      {"society", "https://www.chinanews.com.cn/rss/society.xml"},
      {"world", "https://www.chinanews.com.cn/rss/world.xml"},
      {"finance", "https://www.chinanews.com.cn/rss/finance.xml"},
  };
  std::chrono::milliseconds timeout{10000};
  std::size_t max_feed_bytes = 4 << 20;
  std::size_t max_detail_chars = 2000;
  bool allow_private_links = false;
  std::string description;

  static ChinanewsSettings from(const PluginConfig& cfg);
};

// The category a user's words name ("国际新闻", "International" -> "world"), or the
// words themselves lower-cased when no synonym matches.
std::string chinanews_category(std::string_view words);

class GetNewsFromChinanews final : public Tool {
 public:
  GetNewsFromChinanews(ChinanewsSettings settings, std::shared_ptr<net::HttpClient> http,
                       NewsPicker pick = random_news_picker());
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  boost::asio::awaitable<ToolResult> headline(std::string category, std::string lang, SessionActions& session);
  boost::asio::awaitable<ToolResult> detail(std::string lang, SessionActions& session);

  ChinanewsSettings settings_;
  std::shared_ptr<net::HttpClient> http_;
  NewsPicker pick_;
  SessionMemo<NewsItemRead> last_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
