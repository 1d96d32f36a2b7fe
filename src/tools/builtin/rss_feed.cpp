#include "tools/builtin/rss_feed.h"

#include "tools/builtin/html_text.h"

namespace xz::tools::builtin {

namespace {

// The local part of a possibly prefixed name ("rdf:RDF" -> "RDF").
std::string_view local_name(std::string_view name) {
  const std::size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// The text of the first child whose local name is one of `names`, or "".
std::string child_text(const XmlElement& el, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names)
    for (const auto& c : el.children)
      if (local_name(c.name) == n) return c.text;
  return {};
}

std::string trimmed(std::string_view s) {
  const std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const std::size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// An Atom entry's link: the alternate (or first) <link href>.
std::string atom_link(const XmlElement& entry) {
  std::string first;
  for (const auto& c : entry.children) {
    if (local_name(c.name) != "link") continue;
    const std::string rel = c.attribute("rel");
    if (rel.empty() || rel == "alternate") return c.attribute("href");
    if (first.empty()) first = c.attribute("href");
  }
  return first;
}

FeedItem item_of(const XmlElement& el, bool atom) {
  FeedItem it;
  it.title = html_inline_text(child_text(el, {"title"}), 500);
  it.link = trimmed(atom ? atom_link(el) : child_text(el, {"link", "guid"}));
  if ((it.link.rfind("http://", 0) != 0 && it.link.rfind("https://", 0) != 0) || it.link.size() > 2048) it.link.clear();
  it.description = html_inline_text(child_text(el, {"description", "summary", "content", "encoded"}), 2000);
  it.published = trimmed(child_text(el, {"pubDate", "published", "updated", "date"}));
  if (it.published.size() > 100) it.published.clear();
  return it;
}

// Collects items (or Atom entries) anywhere below `el`; the depth is bounded by the parser.
void collect(const XmlElement& el, bool atom, std::size_t max_items, std::vector<FeedItem>& out) {
  for (const auto& c : el.children) {
    if (out.size() >= max_items) return;
    const std::string_view n = local_name(c.name);
    if ((!atom && n == "item") || (atom && n == "entry")) {
      FeedItem it = item_of(c, atom);
      if (!it.title.empty()) out.push_back(std::move(it));
    } else {
      collect(c, atom, max_items, out);
    }
  }
}

}  // namespace

std::vector<FeedItem> parse_feed(std::string_view xml, std::size_t max_items, const XmlLimits& limits) {
  const XmlElement root = parse_xml(xml, limits);
  const std::string_view kind = local_name(root.name);
  if (kind != "rss" && kind != "RDF" && kind != "feed")
    throw XmlError("not an RSS or Atom feed (the root element is <" + root.name + ">)");
  std::vector<FeedItem> items;
  collect(root, kind == "feed", max_items, items);
  return items;
}

}  // namespace xz::tools::builtin
