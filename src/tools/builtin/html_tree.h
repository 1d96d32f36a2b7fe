#pragma once
// A forgiving HTML element tree for scraping pages from outside (the QWeather city page
// the reference reads): tags, classes and attributes, text, with unclosed and stray
// tags tolerated as browsers do, scripts, styles and comments skipped. Size, depth and
// node count are bounded; any input gives a tree, never an error.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xz::tools::builtin {

struct HtmlNode {
  std::string tag;  // lower-case; "" for a text node
  std::vector<std::pair<std::string, std::string>> attributes;  // names lower-case
  std::vector<std::string> classes;
  std::string text;  // a text node's decoded text
  std::vector<std::unique_ptr<HtmlNode>> children;

  std::string attribute(std::string_view name) const;
  bool has_class(std::string_view c) const;
};

struct HtmlLimits {
  std::size_t max_bytes = 4 << 20;
  std::size_t max_depth = 128;
  std::size_t max_nodes = 50000;
};

// The document's root (tag "#document"). Bytes past max_bytes are ignored; deeper
// elements are flattened into the deepest allowed one; nodes past max_nodes dropped.
std::unique_ptr<HtmlNode> parse_html(std::string_view html, const HtmlLimits& limits = {});

// Elements matching a descendant selector of simple parts "tag", ".class" or
// "tag.class" (e.g. ".c-city-weather-current .current-abstract"), in document order.
std::vector<const HtmlNode*> html_select(const HtmlNode& root, std::string_view selector);
const HtmlNode* html_select_one(const HtmlNode& root, std::string_view selector);

// BeautifulSoup's get_text(strip=True, separator=sep): the node's text pieces, each
// trimmed, empty ones dropped, joined by `separator`.
std::string html_text_of(const HtmlNode& node, std::string_view separator = "");

}  // namespace xz::tools::builtin
