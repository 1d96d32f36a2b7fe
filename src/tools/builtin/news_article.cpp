#include "tools/builtin/news_article.h"

#include <mutex>
#include <random>

#include <fmt/format.h>

#include "core/log.h"
#include "tools/builtin/html_text.h"
#include "tools/builtin/web_api.h"

namespace xz::tools::builtin {

NewsPicker random_news_picker() {
  auto engine = std::make_shared<std::pair<std::mutex, std::mt19937>>();
  engine->second.seed(std::random_device{}());
  return [engine](std::size_t n) {
    std::lock_guard lk(engine->first);
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(engine->second);
  };
}

boost::asio::awaitable<std::string> fetch_article_text(net::HttpClient& http, std::string url, ArticleFetch how) {
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = std::move(url);
  req.headers = {{"User-Agent", "Mozilla/5.0"}, {"Accept", "text/html,application/xhtml+xml"}};
  req.connect_timeout = req.total_timeout = how.timeout;
  req.max_response_bytes = how.max_page_bytes;
  const net::HttpClientResponse page = co_await fetch_page(http, std::move(req), "the news site", how.allow_private_hosts);
  if (const std::string charset = response_charset(page); !utf8_charset(charset))
    throw WebApiError(fmt::format("the news page is in {}, not UTF-8", charset), page.status);
  std::string text = html_article_text(page.body, how.max_text_bytes);
  if (text.empty()) throw WebApiError("the news page has no readable text", page.status);
  co_return text;
}

boost::asio::awaitable<std::vector<FeedItem>> fetch_feed_items(net::HttpClient& http, std::string url,
                                                               std::chrono::milliseconds timeout, std::size_t max_bytes) {
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = url;
  req.headers = {{"User-Agent", "Mozilla/5.0"}, {"Accept", "application/rss+xml, application/xml, text/xml"}};
  req.connect_timeout = req.total_timeout = timeout;
  req.max_response_bytes = max_bytes;
  const net::HttpClientResponse res = co_await fetch_page(http, std::move(req), "the news feed", true);
  try {
    XmlLimits limits;
    limits.max_bytes = max_bytes;
    co_return parse_feed(res.body, 200, limits);
  } catch (const XmlError& e) {
    throw WebApiError(fmt::format("the news feed {} is not a usable feed: {}", url, e.what()), res.status);
  }
}

boost::asio::awaitable<ToolResult> news_detail_answer(std::optional<NewsItemRead> last, net::HttpClient& http,
                                                      ArticleFetch how, std::string lang, SessionActions& session,
                                                      std::string_view function, std::string_view first) {
  if (!last) co_return ToolResult::llm(fmt::format("No news item was read in this conversation yet; {}.", first));
  if (last->link.empty())
    co_return ToolResult::llm(fmt::format("The news item \"{}\" has no link to its details.", last->title));
  try {
    const std::string text = co_await fetch_article_text(http, last->link, how);
    co_return ToolResult::llm(fmt::format(
        "The details of a news item (answer the user in {}):\nTitle: {}\nContent: {}\n(Summarize the key points "
        "and tell them naturally, like telling a complete news story; don't mention that it is a summary.)",
        lang, last->title, text));
  } catch (const WebApiError& e) {
    core::SessionLog(session.device_id(), session.session_id()).warn("{} detail: {}", function, e.what());
    co_return ToolResult::llm(fmt::format(
        "The details of \"{}\" could not be fetched ({}); tell the user the link may be broken.", last->title,
        e.what()));
  }
}

}  // namespace xz::tools::builtin
