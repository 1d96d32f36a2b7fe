#pragma once
// A small, strict XML parser for documents from outside (RSS feeds): UTF-8 only, no DTD
// (a DOCTYPE without an internal subset is skipped, one with entity declarations is
// refused, so no entity expansion exists), the five predefined entities and character
// references, CDATA, comments and processing instructions. Depth, element count and
// size are bounded; any violation is an XmlError naming the byte offset.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xz::tools::builtin {

struct XmlError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct XmlLimits {
  std::size_t max_bytes = 4 << 20;
  std::size_t max_depth = 32;
  std::size_t max_elements = 20000;
};

struct XmlElement {
  std::string name;  // as written, with any prefix ("dc:date")
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<XmlElement> children;
  std::string text;  // the element's own character data (not its children's), CDATA included

  // The first child with this name, or nullptr.
  const XmlElement* child(std::string_view child_name) const;
  // The value of an attribute, or "".
  std::string attribute(std::string_view attr_name) const;
};

// Parses a whole document and returns its root element. Throws XmlError.
XmlElement parse_xml(std::string_view text, const XmlLimits& limits = {});

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or values above
// U+10FFFF).
bool valid_utf8(std::string_view text);

}  // namespace xz::tools::builtin
