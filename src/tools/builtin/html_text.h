#pragma once
// Readable text out of HTML from outside (news pages, feed descriptions): scripts,
// styles and markup dropped, entities decoded, whitespace collapsed, invalid UTF-8
// replaced. One linear pass, no tree: any input is text, never an error.
#include <cstddef>
#include <string>
#include <string_view>

namespace xz::tools::builtin {

// All text of an HTML fragment on one line ("<b>Hi</b> &amp; bye" -> "Hi & bye").
std::string html_inline_text(std::string_view html, std::size_t max_bytes = 4096);

// The article text of a page: the text of its <p> paragraphs, one per line (lines of
// fewer than `min_line_chars` characters, e.g. "Share", are dropped); a page without
// paragraphs gives the text of its <body>. At most `max_bytes` bytes.
std::string html_article_text(std::string_view html, std::size_t max_bytes = 2000, std::size_t min_line_chars = 6);

// The charset a page or document declares (<meta charset>, http-equiv, <?xml encoding>),
// lower-case, or "" when it declares none.
std::string declared_charset(std::string_view text);

// `text` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string utf8_sanitize(std::string_view text);

}  // namespace xz::tools::builtin
