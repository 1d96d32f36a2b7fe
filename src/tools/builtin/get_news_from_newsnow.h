#pragma once
// get_news_from_newsnow(source?, detail?, lang): a headline from a newsnow aggregator
// (GET <url><source id>, e.g. https://newsnow.busiyi.world/api/s?id=thepaper, answering
// {"items":[{"title","url",...}]}), picked at random among the source's items; with
// detail=true, the text of the article read last in this session. Sources are named as
// the reference names them (澎湃新闻, 百度热搜, ...); plugins.get_news_from_newsnow.
// news_sources lists the ones offered.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net/http_client.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/builtin/news_article.h"
#include "tools/builtin/plugin_config.h"
#include "tools/builtin/session_memo.h"
#include "tools/tool.h"

namespace xz::tools::builtin {

struct NewsnowSource {
  std::string name;  // "澎湃新闻"
  std::string id;    // "thepaper"
};

// Every source the reference knows, name -> newsnow id.
const std::vector<NewsnowSource>& newsnow_channels();

struct NewsnowSettings {
  std::string url = "https://newsnow.busiyi.world/api/s?id=";  // the source id is appended
  std::vector<NewsnowSource> sources;  // offered; the first is the default
  std::chrono::milliseconds timeout{10000};
  std::size_t max_detail_chars = 2000;
  bool allow_private_links = false;
  std::string description;

  static NewsnowSettings from(const PluginConfig& cfg);
};

class GetNewsFromNewsnow final : public Tool {
 public:
  GetNewsFromNewsnow(NewsnowSettings settings, std::shared_ptr<net::HttpClient> http,
                     NewsPicker pick = random_news_picker());
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  const NewsnowSource& source_for(const std::string& asked) const;
  boost::asio::awaitable<ToolResult> headline(const NewsnowSource& source, std::string lang, SessionActions& session);
  boost::asio::awaitable<ToolResult> detail(std::string lang, SessionActions& session);

  NewsnowSettings settings_;
  std::shared_ptr<net::HttpClient> http_;
  NewsPicker pick_;
  SessionMemo<NewsItemRead> last_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
