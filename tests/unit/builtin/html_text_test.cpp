// Text out of HTML from outside: news pages and feed descriptions.
#include "tools/builtin/html_text.h"

#include <gtest/gtest.h>

using namespace xz::tools::builtin;

TEST(HtmlText, ArticleParagraphsWithoutPageFurniture) {
  const std::string page =
      "<!DOCTYPE html><html><head><title>Title</title><meta charset=\"utf-8\">"
      "<style>p { color: red }</style><script>var a = \"<p>not text</p>\";</script></head>"
      "<body><nav><a href=\"/\">首页</a></nav><div class=\"content_desc\">"
      "<p>　　第一段新闻内容，很长很长。</p><p>Share</p>"
      "<p>Second <b>paragraph</b> with &amp; and &#x4E2D;&#25991; and a<br>break.</p>"
      "<!-- <p>commented out</p> --><p>Unclosed paragraph text here<div>block</div>"
      "</div><script type='text/javascript'>document.write('<p>x</p>')</script></body></html>";
  EXPECT_EQ(html_article_text(page),
            "第一段新闻内容，很长很长。\nSecond paragraph with & and 中文 and a break.\nUnclosed paragraph text here");
}

TEST(HtmlText, PagesWithoutParagraphsGiveTheirBodyText) {
  EXPECT_EQ(html_article_text("<html><head><title>t</title></head><body><div>Line one of the body</div>"
                              "<div>Line two of the body</div><span>x</span></body></html>"),
            "Line one of the body\nLine two of the body");
  EXPECT_EQ(html_article_text("plain text without any markup"), "plain text without any markup");
}

TEST(HtmlText, BoundedAndAlwaysValidUtf8) {
  std::string page = "<p>";
  for (int i = 0; i < 2000; ++i) page += "中";
  page += "</p>";
  const std::string text = html_article_text(page, 100);
  EXPECT_LE(text.size(), 100u);
  EXPECT_EQ(text.substr(text.size() - 3), "...");
  EXPECT_EQ(text.size() % 3, 0u);  // whole characters, then "..."

  EXPECT_EQ(html_inline_text("<b>bad \xFF\xC3 bytes</b>"), "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
  EXPECT_EQ(utf8_sanitize("ok \xE4\xB8"), "ok \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(utf8_sanitize("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
}

TEST(HtmlText, HostileMarkupIsText) {
  EXPECT_EQ(html_inline_text("a < b && c > d &unknown; &#99999999; <"), "a < b && c > d &unknown; &#99999999; <");
  EXPECT_EQ(html_inline_text("<a href=\"x>y\">link</a> after"), "link after");
  EXPECT_EQ(html_inline_text("<script>never closed"), "never closed");
  // Many unclosed raw elements and lone '&' stay linear (this would take minutes if quadratic).
  std::string hostile;
  for (int i = 0; i < 200000; ++i) hostile += "<script>&";
  EXPECT_LE(html_article_text(hostile).size(), 2000u);
}

TEST(HtmlText, DeclaredCharset) {
  EXPECT_EQ(declared_charset("<html><head><meta charset=\"GB2312\">"), "gb2312");
  EXPECT_EQ(declared_charset("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gbk\">"), "gbk");
  EXPECT_EQ(declared_charset("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss/>"), "utf-8");
  EXPECT_EQ(declared_charset("<html><body>none</body></html>"), "");
}
