// RSS / Atom feeds (tools/builtin/rss_feed over xml_document): chinanews and any feed a
// user configures. Any input is a list of items or an XmlError; items are bounded and
// their text is valid UTF-8; a document the parser accepts respects its depth and
// element bounds.
#include <string>

#include "fuzz/fuzz_check.h"
#include "tools/builtin/rss_feed.h"

using namespace xz::tools::builtin;

namespace {

bool valid_utf8_text(const std::string& s) { return valid_utf8(s); }

void check_bounds(const XmlElement& el, std::size_t depth, std::size_t& elements, const XmlLimits& limits) {
  FUZZ_CHECK(depth <= limits.max_depth);
  ++elements;
  FUZZ_CHECK(valid_utf8_text(el.name) && valid_utf8_text(el.text));
  for (const auto& [k, v] : el.attributes) FUZZ_CHECK(valid_utf8_text(k) && valid_utf8_text(v));
  for (const auto& c : el.children) check_bounds(c, depth + 1, elements, limits);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = xz::fuzz::as_text(data, size);
  XmlLimits limits;
  limits.max_depth = 16;
  limits.max_elements = 2000;
  try {
    const XmlElement root = parse_xml(text, limits);
    std::size_t elements = 0;
    check_bounds(root, 1, elements, limits);
    FUZZ_CHECK(elements <= limits.max_elements);
  } catch (const XmlError&) {
  }
  try {
    const auto items = parse_feed(text, 20, limits);
    FUZZ_CHECK(items.size() <= 20);
    for (const auto& it : items) {
      FUZZ_CHECK(!it.title.empty() && it.title.size() <= 500 && valid_utf8_text(it.title));
      FUZZ_CHECK(it.description.size() <= 2000 && valid_utf8_text(it.description));
      FUZZ_CHECK(it.link.empty() || it.link.rfind("http://", 0) == 0 || it.link.rfind("https://", 0) == 0);
      FUZZ_CHECK(it.link.size() <= 2048);
      FUZZ_CHECK(it.published.size() <= 100);
    }
  } catch (const XmlError&) {
  }
  return 0;
}
