// HTML from outside (tools/builtin/html_text): news article pages and feed descriptions.
// Any input is text: bounded, valid UTF-8, and never an exception.
#include <string>

#include "fuzz/fuzz_check.h"
#include "tools/builtin/html_text.h"
#include "tools/builtin/xml_document.h"

using namespace xz::tools::builtin;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view html = xz::fuzz::as_text(data, size);
  const std::string article = html_article_text(html, 300);
  FUZZ_CHECK(article.size() <= 300 && valid_utf8(article));
  const std::string line = html_inline_text(html, 200);
  FUZZ_CHECK(line.size() <= 200 && valid_utf8(line));
  FUZZ_CHECK(line.find('\n') == std::string::npos);
  const std::string clean = utf8_sanitize(html);
  FUZZ_CHECK(valid_utf8(clean));
  if (valid_utf8(html)) FUZZ_CHECK(clean == html);
  FUZZ_CHECK(declared_charset(html).size() <= 40);
  return 0;
}
