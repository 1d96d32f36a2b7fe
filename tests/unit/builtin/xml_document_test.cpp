// The strict XML parser and the feed reader on top of it.
#include "tools/builtin/xml_document.h"

#include <gtest/gtest.h>

#include "tools/builtin/rss_feed.h"

using namespace xz::tools::builtin;

namespace {

std::string error_of(std::string_view xml, const XmlLimits& limits = {}) {
  try {
    parse_xml(xml, limits);
  } catch (const XmlError& e) {
    return e.what();
  }
  return "";
}

std::string nested(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += "<a>";
  for (int i = 0; i < depth; ++i) s += "</a>";
  return s;
}

}  // namespace

TEST(XmlDocument, ElementsAttributesTextAndReferences) {
  auto root = parse_xml(
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<?xml-stylesheet href=\"a.xsl\"?>\n<!-- c -->"
      "<rss version='2.0' xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
      "<channel><title>A &amp; B &lt;C&gt; &#20013;&#x6587; &quot;q&apos;</title>"
      "<item><title><![CDATA[<b>CDATA</b> & raw]]></title><dc:date>2024</dc:date><empty/></item>"
      "</channel></rss>\n<!-- after -->\n");
  EXPECT_EQ(root.name, "rss");
  EXPECT_EQ(root.attribute("version"), "2.0");
  ASSERT_NE(root.child("channel"), nullptr);
  const auto& channel = *root.child("channel");
  EXPECT_EQ(channel.child("title")->text, "A & B <C> 中文 \"q'");
  const auto& item = *channel.child("item");
  EXPECT_EQ(item.child("title")->text, "<b>CDATA</b> & raw");
  EXPECT_EQ(item.child("dc:date")->text, "2024");
  ASSERT_NE(item.child("empty"), nullptr);
  EXPECT_TRUE(item.child("empty")->children.empty());
}

TEST(XmlDocument, MalformedDocumentsAreErrors) {
  EXPECT_NE(error_of("<a><b></a></b>").find("</a> closes <b>"), std::string::npos);
  EXPECT_NE(error_of("<a>").find("not closed"), std::string::npos);
  EXPECT_NE(error_of("<a></a><b/>").find("after the root"), std::string::npos);
  EXPECT_NE(error_of("text").find("root element"), std::string::npos);
  EXPECT_NE(error_of("").find("no root element"), std::string::npos);
  EXPECT_NE(error_of("<a>&nbsp;</a>").find("unknown entity &nbsp;"), std::string::npos);
  EXPECT_NE(error_of("<a>a & b</a>").find("'&'"), std::string::npos);
  EXPECT_NE(error_of("<a>&#0;</a>").find("not an XML character"), std::string::npos);
  EXPECT_NE(error_of("<a>&#x110000;</a>").find("out of range"), std::string::npos);
  EXPECT_NE(error_of("<a b=c/>").find("not quoted"), std::string::npos);
  EXPECT_NE(error_of("<a b='1' b='2'/>").find("repeated"), std::string::npos);
  EXPECT_NE(error_of("<a b='1'c='2'/>").find("whitespace"), std::string::npos);
  EXPECT_NE(error_of("<a><![CDATA[x</a>").find("CDATA"), std::string::npos);
  EXPECT_NE(error_of("<a>\x01</a>").find("control character"), std::string::npos);
  EXPECT_NE(error_of("<a>\xC3\x28</a>").find("not valid UTF-8"), std::string::npos);
  EXPECT_NE(error_of("<a><!ELEMENT x ANY></a>").find("markup declarations"), std::string::npos);
}

TEST(XmlDocument, OnlyUtf8AndNoEntityDeclarations) {
  EXPECT_NE(error_of("<?xml version=\"1.0\" encoding=\"GB2312\"?><a/>").find("'gb2312' is not supported"),
            std::string::npos);
  // The billion-laughs shape: refused before any entity could be declared.
  EXPECT_NE(error_of("<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><lolz>&lol2;</lolz>")
                .find("internal subset"),
            std::string::npos);
  // RSS 0.91's external DOCTYPE is harmless and skipped.
  auto root = parse_xml(
      "<?xml version=\"1.0\"?><!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN\" "
      "\"http://my.netscape.com/publish/formats/rss-0.91.dtd\"><rss version=\"0.91\"/>");
  EXPECT_EQ(root.name, "rss");
}

TEST(XmlDocument, DepthElementsAndSizeAreBounded) {
  XmlLimits limits;
  limits.max_depth = 32;
  EXPECT_EQ(error_of(nested(32), limits), "");
  EXPECT_NE(error_of(nested(33), limits).find("deeper than 32"), std::string::npos);
  EXPECT_NE(error_of(nested(100000), limits).find("deeper than 32"), std::string::npos);  // no recursion to blow

  std::string many = "<r>";
  for (int i = 0; i < 101; ++i) many += "<i/>";
  many += "</r>";
  limits.max_elements = 101;
  EXPECT_NE(error_of(many, limits).find("more than 101 elements"), std::string::npos);
  limits.max_elements = 102;
  EXPECT_EQ(error_of(many, limits), "");

  limits.max_bytes = many.size() - 1;
  EXPECT_NE(error_of(many, limits).find("larger than"), std::string::npos);
}

TEST(RssFeed, Rss2ItemsWithHtmlDescriptions) {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>中新网</title>"
      "<item><title>标题一</title><link>https://www.chinanews.com.cn/sh/2024/01-10/1.shtml</link>"
      "<description><![CDATA[<p>第一段&nbsp;内容</p><img src=\"x.jpg\"/>]]></description>"
      "<pubDate>Wed, 10 Jan 2024 12:00:00 +0800</pubDate></item>"
      "<item><title>Two &amp; more</title><link>javascript:alert(1)</link>"
      "<description>&lt;b&gt;bold&lt;/b&gt; text</description></item>"
      "<item><title></title><link>https://example.com/no-title</link></item>"
      "</channel></rss>";
  auto items = parse_feed(xml);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].title, "标题一");
  EXPECT_EQ(items[0].link, "https://www.chinanews.com.cn/sh/2024/01-10/1.shtml");
  EXPECT_EQ(items[0].description, "第一段 内容");
  EXPECT_EQ(items[0].published, "Wed, 10 Jan 2024 12:00:00 +0800");
  EXPECT_EQ(items[1].title, "Two & more");
  EXPECT_EQ(items[1].link, "");  // not http(s)
  EXPECT_EQ(items[1].description, "bold text");
  EXPECT_EQ(parse_feed(xml, 1).size(), 1u);
}

TEST(RssFeed, AtomAndRdfAndNotAFeed) {
  auto atom = parse_feed(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><title>Atom entry</title>"
      "<link rel=\"self\" href=\"https://example.com/self\"/><link href=\"https://example.com/a\"/>"
      "<summary>Sum</summary><updated>2024-01-10T12:00:00Z</updated></entry></feed>");
  ASSERT_EQ(atom.size(), 1u);
  EXPECT_EQ(atom[0].link, "https://example.com/a");
  EXPECT_EQ(atom[0].description, "Sum");
  EXPECT_EQ(atom[0].published, "2024-01-10T12:00:00Z");

  auto rdf = parse_feed(
      "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">"
      "<channel><title>c</title></channel><item><title>RDF item</title><link>http://example.com/r</link></item>"
      "</rdf:RDF>");
  ASSERT_EQ(rdf.size(), 1u);
  EXPECT_EQ(rdf[0].title, "RDF item");

  EXPECT_THROW(parse_feed("<html><body>Not a feed</body></html>"), XmlError);
  EXPECT_THROW(parse_feed("<!DOCTYPE html><html><body><p>unclosed</body></html>"), XmlError);
}
