#pragma once
// What the two news functions share: the item read to a session last (for "tell me
// more"), how an item is picked from a list, and fetching an article page as text.
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "net/http_client.h"
#include "tools/builtin/rss_feed.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/tool.h"

namespace xz::tools::builtin {

struct NewsItemRead {
  std::string title;
  std::string link;    // "" when the item had none
  std::string source;  // the source or category it came from
};

// Picks an index below n (n > 0); the default picks at random.
using NewsPicker = std::function<std::size_t(std::size_t n)>;
NewsPicker random_news_picker();

struct ArticleFetch {
  std::chrono::milliseconds timeout{10000};
  std::size_t max_page_bytes = 2 << 20;
  std::size_t max_text_bytes = 2000;
  bool allow_private_hosts = false;  // article links come from a third party
};

// The article text of the page at `url` (its paragraphs, bounded). Throws WebApiError
// when the page cannot be fetched, is not UTF-8, or has no readable text.
boost::asio::awaitable<std::string> fetch_article_text(net::HttpClient& http, std::string url, ArticleFetch how);

// The items of the RSS/Atom feed at `url` (the administrator's: private hosts allowed).
// Throws WebApiError when it cannot be fetched or is not a feed.
boost::asio::awaitable<std::vector<FeedItem>> fetch_feed_items(net::HttpClient& http, std::string url,
                                                               std::chrono::milliseconds timeout,
                                                               std::size_t max_bytes = 4 << 20);

// The answer to "tell me more" (detail=true): the article of the item this session read
// last, for the LLM. No item, no link or a page that cannot be read is told to the LLM
// (and logged under `function`), never thrown. `first` says what to do first without an item.
boost::asio::awaitable<ToolResult> news_detail_answer(std::optional<NewsItemRead> last, net::HttpClient& http,
                                                      ArticleFetch how, std::string lang, SessionActions& session,
                                                      std::string_view function, std::string_view first);

}  // namespace xz::tools::builtin
