#include "tools/builtin/get_indian_news_api.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "core/log.h"
#include "protocol/percent_encoding.h"
#include "tools/builtin/tool_args.h"
#include "tools/builtin/web_api.h"

namespace xz::tools::builtin {

namespace {

std::string text_field(const nlohmann::json& j, const char* key, std::size_t max) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  std::string s = it->get<std::string>();
  for (auto& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return utf8_truncate(s, max);
}

// NewsAPI's categories; anything else asks for all.
constexpr std::array<std::string_view, 7> kCategories = {"business", "entertainment", "general", "health",
                                                         "science",  "sports",        "technology"};

}  // namespace

IndianNewsApiSettings IndianNewsApiSettings::from(const PluginConfig& cfg) {
  IndianNewsApiSettings s;
  s.api_key = cfg.str("api_key", "");
  if (s.api_key.find("你的") != std::string::npos || s.api_key.find("your_") != std::string::npos) s.api_key.clear();
  s.api_url = cfg.str("api_url", s.api_url);
  if (s.api_url.rfind("http://", 0) != 0 && s.api_url.rfind("https://", 0) != 0) cfg.problem("api_url", "expected an http(s) URL");
  s.country = cfg.str("country", s.country);
  s.feeds = cfg.string_list("feeds", s.feeds);
  for (std::size_t i = 0; i < s.feeds.size(); ++i)
    if (s.feeds[i].rfind("http://", 0) != 0 && s.feeds[i].rfind("https://", 0) != 0)
      cfg.problem(fmt::format("feeds[{}]", i), "expected the http(s) URL of an RSS feed");
  if (s.api_key.empty() && s.feeds.empty()) cfg.problem("feeds", "needs at least one feed when api_key is empty");
  s.timeout = std::chrono::milliseconds(static_cast<long>(cfg.number("timeout", 10, 0.1, 120) * 1000));
  s.max_detail_chars = static_cast<std::size_t>(cfg.integer("max_detail_chars", 2000, 200, 20000));
  s.allow_private_links = cfg.boolean("allow_private_links", false);
  s.description = cfg.description("");
  return s;
}

std::vector<NewsApiArticle> newsapi_articles(const nlohmann::json& answer) {
  if (!answer.is_object()) throw WebApiError("NewsAPI sent an answer that is not an object", 200);
  if (text_field(answer, "status", 20) != "ok")
    throw WebApiError(fmt::format("NewsAPI refused the request: {} {}", text_field(answer, "code", 60),
                                  text_field(answer, "message", 300)),
                      200);
  std::vector<NewsApiArticle> out;
  auto list = answer.find("articles");
  if (list == answer.end() || !list->is_array()) return out;
  for (const auto& a : *list) {
    if (!a.is_object() || out.size() >= 100) continue;
    NewsApiArticle art{text_field(a, "title", 500), text_field(a, "description", 2000), "",
                       text_field(a, "publishedAt", 60), text_field(a, "url", 2048)};
    if (auto src = a.find("source"); src != a.end() && src->is_object()) art.source = text_field(*src, "name", 100);
    if (art.url.rfind("http://", 0) != 0 && art.url.rfind("https://", 0) != 0) art.url.clear();
    if (!art.title.empty()) out.push_back(std::move(art));
  }
  return out;
}

GetIndianNewsApi::GetIndianNewsApi(IndianNewsApiSettings settings, std::shared_ptr<net::HttpClient> http,
                                   NewsPicker pick)
    : settings_(std::move(settings)), http_(std::move(http)), pick_(std::move(pick)) {
  schema_.name = "get_indian_news_api";
  schema_.description =
      !settings_.description.empty()
          ? settings_.description
          : "Get latest Indian news from reliable sources: current news from major Indian publications and government "
            "sources, including business, technology, politics and general news. Call again with detail=true for the "
            "details of the item just read.";
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"category",
         {{"type", "string"},
          {"description", "News category: business, technology, politics, science, education, or general. Optional."}}},
        {"detail", {{"type", "boolean"}, {"description", "Whether to get detailed content, defaults to false."}}},
        {"lang", {{"type", "string"}, {"description", "Language code for the response, defaults to en_US."}}}}},
      {"required", {"lang"}},
  };
}

boost::asio::awaitable<std::vector<NewsApiArticle>> GetIndianNewsApi::from_newsapi(std::string category) {
  std::string url = fmt::format("{}?country={}&pageSize=20", settings_.api_url, protocol::percent_encode(settings_.country));
  if (std::find(kCategories.begin(), kCategories.end(), category) != kCategories.end())
    url += "&category=" + category;
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = std::move(url);
  req.headers = {{"X-Api-Key", settings_.api_key}, {"Accept", "application/json"}};
  req.connect_timeout = req.total_timeout = settings_.timeout;
  req.max_response_bytes = 2 << 20;
  // NewsAPI's errors are JSON with a status of "error", under HTTP 400/401/429.
  WebApiReply reply = co_await call_web_api(*http_, std::move(req));
  if (reply.body.is_null())
    throw WebApiError(fmt::format("NewsAPI answered HTTP {}: {}", reply.status, api_message(reply)), reply.status);
  co_return newsapi_articles(reply.body);
}

boost::asio::awaitable<std::vector<NewsApiArticle>> GetIndianNewsApi::from_feeds(SessionActions& session) {
  std::string failures;
  for (const auto& url : settings_.feeds) {
    try {
      auto items = co_await fetch_feed_items(*http_, url, settings_.timeout);
      if (items.empty()) continue;
      std::vector<NewsApiArticle> out;
      for (std::size_t i = 0; i < items.size() && i < 5; ++i)
        out.push_back({items[i].title, items[i].description, "", items[i].published, items[i].link});
      // The reference names the source by its feed's host.
      const auto host_start = url.find("://") + 3;
      std::string host = url.substr(host_start, url.find('/', host_start) - host_start);
      if (host.rfind("www.", 0) == 0) host.erase(0, 4);
      for (auto& a : out) a.source = host;
      co_return out;
    } catch (const WebApiError& e) {
      core::SessionLog(session.device_id(), session.session_id()).warn("get_indian_news_api: {}", e.what());
      failures += (failures.empty() ? "" : "; ") + std::string(e.what());
    }
  }
  if (!failures.empty()) throw WebApiError(utf8_truncate("no Indian news feed answered: " + failures, 1500), 0);
  co_return std::vector<NewsApiArticle>{};
}

boost::asio::awaitable<ToolResult> GetIndianNewsApi::call(nlohmann::json arguments, SessionActions& session) {
  std::string lang = utf8_truncate(string_arg(arguments, "lang"), 20);
  if (lang.empty()) lang = "en_US";
  if (bool_arg(arguments, "detail")) {
    ArticleFetch how;
    how.timeout = settings_.timeout;
    how.max_text_bytes = settings_.max_detail_chars;
    how.allow_private_hosts = settings_.allow_private_links;
    co_return co_await news_detail_answer(last_.get(session.session_id()), *http_, how, std::move(lang), session,
                                          "get_indian_news_api", "get a news item first");
  }
  std::string category = string_arg(arguments, "category");
  for (auto& c : category) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (category.empty()) category = "general";
  std::vector<NewsApiArticle> articles;
  try {
    // Not a conditional expression: g++ 12 mis-compiles co_await in both arms of ?:.
    if (settings_.api_key.empty())
      articles = co_await from_feeds(session);
    else
      articles = co_await from_newsapi(category);
  } catch (const WebApiError& e) {
    core::SessionLog(session.device_id(), session.session_id()).warn("get_indian_news_api({}): {}", category, e.what());
    ToolResult r = ToolResult::failed("Sorry, unable to fetch Indian news at the moment. Please try again later.");
    r.result = e.what();
    co_return r;
  }
  if (articles.empty())
    co_return ToolResult::llm("Sorry, there is no Indian news at the moment; tell the user to try again later.");
  NewsApiArticle chosen = std::move(articles[pick_(articles.size()) % articles.size()]);
  last_.put(session.session_id(), NewsItemRead{chosen.title, chosen.url, chosen.source});
  std::string shown_category = utf8_truncate(category, 40);
  shown_category[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(shown_category[0])));
  co_return ToolResult::llm(fmt::format(
      "Based on the following Indian news data, respond to user's query in {}:\n\n📰 News Title: {}\n📅 Published: {}\n"
      "📺 Source: {}\n📝 Summary: {}\n🏷️ Category: {}\n\n(Please present this Indian news to the user in a natural, "
      "conversational way. Focus on the key information and make it engaging for Indian audience.)",
      lang, chosen.title, chosen.published.empty() ? "Unknown time" : chosen.published,
      chosen.source.empty() ? "Unknown" : chosen.source,
      chosen.description.empty() ? "No description" : chosen.description, shown_category));
}

}  // namespace xz::tools::builtin
