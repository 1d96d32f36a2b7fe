#pragma once
// web_search(query): searches the web through a configurable API, Metaso (秘塔, POST
// JSON with a bearer key), Tavily (POST JSON with the API key) or a SearxNG instance
// (GET /search?format=json), and gives the LLM titles, snippets and URLs, trimmed to a
// bounded size. Without an API key (the reference's default config selects web_search
// before a key is set) the server starts and the function says it is not configured.
#include <chrono>
#include <memory>
#include <string>

#include "net/http_client.h"
#include "tools/builtin/plugin_config.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/tool.h"

namespace xz::tools::builtin {

struct WebSearchSettings {
  enum class Provider { tavily, searxng, metaso };
  Provider provider = Provider::tavily;
  std::string url = "https://api.tavily.com/search";  // searxng: the instance's base URL
  std::string api_key;                                 // tavily, metaso
  int max_results = 5;
  std::size_t max_chars = 4000;  // of the text handed to the LLM
  std::chrono::milliseconds timeout{15000};
  std::string description;

  static WebSearchSettings from(const PluginConfig& cfg);
};

class WebSearch final : public Tool {
 public:
  WebSearch(WebSearchSettings settings, std::shared_ptr<net::HttpClient> http);
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  struct Hit {
    std::string title, url, snippet, date;
  };
  boost::asio::awaitable<std::vector<Hit>> search(std::string query);
  std::string format(const std::string& query, const std::vector<Hit>& hits) const;

  WebSearchSettings settings_;
  std::shared_ptr<net::HttpClient> http_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
