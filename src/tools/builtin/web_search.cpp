#include "tools/builtin/web_search.h"

#include <fmt/format.h>

#include "core/log.h"
#include "tools/builtin/web_api.h"

namespace xz::tools::builtin {

namespace {

constexpr std::size_t kSnippetBytes = 600;

std::string text_of(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return {};
  std::string s = j[key].get<std::string>();
  for (auto& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return s;
}

}  // namespace

WebSearchSettings WebSearchSettings::from(const PluginConfig& cfg) {
  WebSearchSettings s;
  const std::string provider = cfg.str("provider", "tavily");
  if (provider == "tavily") {
    s.provider = Provider::tavily;
    s.url = cfg.str("url", s.url);
    s.api_key = cfg.str("api_key", "");
    if (s.api_key.empty()) cfg.problem("api_key", "required for the tavily provider (or set provider: searxng)");
  } else if (provider == "searxng") {
    s.provider = Provider::searxng;
    s.url = cfg.str("url", "");
    if (s.url.empty()) cfg.problem("url", "required for the searxng provider: the instance's base URL");
    while (!s.url.empty() && s.url.back() == '/') s.url.pop_back();
  } else {
    cfg.problem("provider", fmt::format("unknown provider '{}' (tavily or searxng)", provider));
  }
  if (!s.url.empty() && s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0)
    cfg.problem("url", "expected an http(s) URL");
  s.max_results = cfg.integer("max_results", s.max_results, 1, 20);
  s.max_chars = static_cast<std::size_t>(cfg.integer("max_chars", 4000, 500, 20000));
  s.timeout = std::chrono::milliseconds(static_cast<long>(cfg.number("timeout", 15, 0.1, 120) * 1000));
  s.description = cfg.description("");
  return s;
}

WebSearch::WebSearch(WebSearchSettings settings, std::shared_ptr<net::HttpClient> http)
    : settings_(std::move(settings)), http_(std::move(http)) {
  schema_.name = "web_search";
  schema_.description =
      !settings_.description.empty()
          ? settings_.description
          : "Search the internet (联网搜索) for current information: news, facts, prices, scores, recent events "
            "or anything you do not know. Returns titles, snippets and links of the top results.";
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"query", {{"type", "string"}, {"description", "The search query, as keywords or a short question."}}}}},
      {"required", {"query"}},
  };
}

boost::asio::awaitable<std::vector<WebSearch::Hit>> WebSearch::search(std::string query) {
  net::HttpClientRequest req;
  req.connect_timeout = req.total_timeout = settings_.timeout;
  req.max_response_bytes = 4 << 20;
  const char* service = "the search API";
  if (settings_.provider == WebSearchSettings::Provider::tavily) {
    service = "Tavily";
    req.method = "POST";
    req.url = settings_.url;
    req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + settings_.api_key}};
    req.body = nlohmann::json{{"api_key", settings_.api_key},
                              {"query", query},
                              {"max_results", settings_.max_results},
                              {"search_depth", "basic"},
                              {"include_answer", false}}
                   .dump();
  } else {
    service = "SearxNG";
    req.method = "GET";
    req.url = fmt::format("{}/search?q={}&format=json", settings_.url, url_encode(query));
    req.headers = {{"Accept", "application/json"}};
  }
  nlohmann::json body = co_await fetch_json(*http_, std::move(req), service);
  if (!body.is_object() || !body.contains("results") || !body["results"].is_array())
    throw WebApiError(fmt::format("{} sent no results list", service), 200);
  std::vector<Hit> hits;
  for (const auto& r : body["results"]) {
    if (static_cast<int>(hits.size()) >= settings_.max_results) break;
    Hit h{text_of(r, "title"), text_of(r, "url"), text_of(r, "content")};
    if (h.title.empty() && h.snippet.empty()) continue;
    hits.push_back(std::move(h));
  }
  co_return hits;
}

std::string WebSearch::format(const std::string& query, const std::vector<Hit>& hits) const {
  std::string text = fmt::format("Web search results for \"{}\":", utf8_truncate(query, 200));
  for (std::size_t i = 0; i < hits.size(); ++i) {
    std::string item = fmt::format("\n{}. {}\n{}\nSource: {}", i + 1, utf8_truncate(hits[i].title, 200),
                                   utf8_truncate(hits[i].snippet, kSnippetBytes), utf8_truncate(hits[i].url, 300));
    if (text.size() + item.size() > settings_.max_chars) {
      if (i == 0) text += utf8_truncate(item, settings_.max_chars > text.size() ? settings_.max_chars - text.size() : 0);
      break;
    }
    text += item;
  }
  return text;
}

boost::asio::awaitable<ToolResult> WebSearch::call(nlohmann::json arguments, SessionActions& session) {
  std::string query;
  if (arguments.is_object() && arguments.contains("query") && arguments["query"].is_string())
    query = arguments["query"].get<std::string>();
  if (query.find_first_not_of(" \t\r\n") == std::string::npos)
    co_return ToolResult::llm("The web search was called without a query; ask the user what to search for.");
  try {
    auto hits = co_await search(query);
    if (hits.empty()) co_return ToolResult::llm(fmt::format("The web search for \"{}\" found nothing.", query));
    co_return ToolResult::llm(format(query, hits));
  } catch (const WebApiError& e) {
    core::SessionLog(session.device_id(), session.session_id()).warn("web_search({}): {}", query, e.what());
    ToolResult r = ToolResult::failed("Sorry, the web search isn't working right now. Please try again later.");
    r.result = e.what();
    co_return r;
  }
}

}  // namespace xz::tools::builtin
