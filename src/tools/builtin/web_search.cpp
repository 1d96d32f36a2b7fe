#include "tools/builtin/web_search.h"

#include <fmt/format.h>

#include <cctype>

#include <spdlog/spdlog.h>

#include "core/log.h"
#include "protocol/percent_encoding.h"
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
  std::string provider = cfg.str("provider", "tavily");
  for (auto& c : provider) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (provider == "tavily" || provider == "metaso") {
    s.provider = provider == "tavily" ? Provider::tavily : Provider::metaso;
    s.url = cfg.str("url", provider == "tavily" ? s.url : "https://metaso.cn/api/v1/search");
    s.api_key = cfg.str("api_key", "");
    if (s.api_key.empty())
      spdlog::warn("plugins.web_search.api_key is empty: web_search ({}) will answer that it is not configured",
                   provider);
  } else if (provider == "searxng") {
    s.provider = Provider::searxng;
    s.url = cfg.str("url", "");
    if (s.url.empty()) cfg.problem("url", "required for the searxng provider: the instance's base URL");
    while (!s.url.empty() && s.url.back() == '/') s.url.pop_back();
  } else {
    cfg.problem("provider", fmt::format("unknown provider '{}' (metaso, tavily or searxng)", provider));
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
  if (settings_.provider == WebSearchSettings::Provider::metaso) {
    service = "Metaso";
    req.method = "POST";
    req.url = settings_.url;
    req.headers = {{"Authorization", "Bearer " + settings_.api_key},
                   {"Content-Type", "application/json"},
                   {"Accept", "application/json"}};
    req.body = nlohmann::json{{"q", query},
                              {"size", settings_.max_results},
                              {"stream", false},
                              {"scope", "webpage"},
                              {"includeSummary", true},
                              {"includeRawContent", false},
                              {"conciseSnippet", false}}
                   .dump();
  } else if (settings_.provider == WebSearchSettings::Provider::tavily) {
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
    req.url = fmt::format("{}/search?q={}&format=json", settings_.url, protocol::percent_encode(query));
    req.headers = {{"Accept", "application/json"}};
  }
  nlohmann::json body = co_await fetch_json(*http_, std::move(req), service);
  const bool metaso = settings_.provider == WebSearchSettings::Provider::metaso;
  const char* list = metaso ? "webpages" : "results";
  if (!body.is_object() || !body.contains(list) || !body[list].is_array()) {
    // Metaso may answer an error with HTTP 200 and a message.
    WebApiReply reply;
    reply.body = body;
    throw WebApiError(fmt::format("{} sent no {} list: {}", service, list, api_message(reply)), 200);
  }
  std::vector<Hit> hits;
  for (const auto& r : body[list]) {
    if (static_cast<int>(hits.size()) >= settings_.max_results) break;
    Hit h = metaso ? Hit{text_of(r, "title"), text_of(r, "link"), text_of(r, "summary"), text_of(r, "date")}
                   : Hit{text_of(r, "title"), text_of(r, "url"), text_of(r, "content"), ""};
    if (metaso && h.snippet.empty()) h.snippet = text_of(r, "snippet");
    if (h.title.empty() && h.snippet.empty()) continue;
    hits.push_back(std::move(h));
  }
  co_return hits;
}

std::string WebSearch::format(const std::string& query, const std::vector<Hit>& hits) const {
  std::string text = fmt::format("Web search results for \"{}\":", utf8_truncate(query, 200));
  for (std::size_t i = 0; i < hits.size(); ++i) {
    std::string item = fmt::format("\n{}. {}\n", i + 1, utf8_truncate(hits[i].title, 200));
    if (!hits[i].date.empty()) item += "Date: " + utf8_truncate(hits[i].date, 40) + "\n";
    item += fmt::format("{}\nSource: {}", utf8_truncate(hits[i].snippet, kSnippetBytes), utf8_truncate(hits[i].url, 300));
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
    query = utf8_truncate(arguments["query"].get<std::string>(), 1000);
  if (query.find_first_not_of(" \t\r\n") == std::string::npos)
    co_return ToolResult::llm("The web search was called without a query; ask the user what to search for.");
  if (settings_.provider != WebSearchSettings::Provider::searxng && settings_.api_key.empty())
    co_return ToolResult::llm(
        "Web search is not configured (plugins.web_search.api_key is empty); tell the user it is unavailable.");
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
