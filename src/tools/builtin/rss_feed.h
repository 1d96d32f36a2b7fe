#pragma once
// News items of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, read with the strict XML parser:
// title, link, description (HTML reduced to text) and publication time of each item.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tools/builtin/xml_document.h"

namespace xz::tools::builtin {

struct FeedItem {
  std::string title;
  std::string link;         // "" when the item has none
  std::string description;  // plain text
  std::string published;    // as the feed wrote it ("" when absent)
};

// Throws XmlError when the document is not XML or not a feed (no rss, RDF or feed root).
// At most `max_items` items are kept; items without a title are skipped.
std::vector<FeedItem> parse_feed(std::string_view xml, std::size_t max_items = 200, const XmlLimits& limits = {});

}  // namespace xz::tools::builtin
