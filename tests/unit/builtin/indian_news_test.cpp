// get_indian_news (RSS feeds of Indian sources) and get_indian_news_api (NewsAPI, else
// Indian RSS feeds) against local fakes of those APIs and feeds.
#include <gtest/gtest.h>

#include "builtin_test_util.h"
#include "support/child_process.h"
#include "support/fake_http_apis.h"
#include "tools/builtin/get_indian_news.h"
#include "tools/builtin/get_indian_news_api.h"
#include "tools/builtin/web_api.h"

using namespace xz::tools::builtin;
using namespace std::chrono_literals;
using nlohmann::json;
using xz::test::call_tool;
using xz::test::FakeHttpApis;
using xz::test::FakeSession;
using xz::test::ToolLoop;
using xz::tools::Action;

namespace {

std::string feed(const std::string& base, const std::string& prefix, int items) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>" + prefix + "</title>";
  for (int i = 0; i < items; ++i)
    xml += "<item><title>" + prefix + " story " + std::to_string(i) + "</title><link>" + base + "/pages/in" +
           std::to_string(i) + ".html</link><description><![CDATA[<p>Summary <b>" + std::to_string(i) +
           "</b></p>]]></description><pubDate>Wed, 10 Jan 2024 12:00:00 +0530</pubDate></item>";
  return xml + "</channel></rss>";
}

struct IndianNewsFixture : ::testing::Test {
  IndianNewsSettings sources() {
    IndianNewsSettings s;
    s.sources = {{"times_of_india", fake.url() + "/rss/toi.xml"}, {"hindu", fake.url() + "/rss/hindu.xml"}};
    s.timeout = 2s;
    s.allow_private_links = true;  // the fake's article pages are on 127.0.0.1
    return s;
  }
  IndianNewsApiSettings api() {
    IndianNewsApiSettings s;
    s.api_url = fake.url() + "/v2/top-headlines";
    s.feeds = {fake.url() + "/rss/pib.xml", fake.url() + "/rss/mint.xml"};
    s.timeout = 2s;
    s.allow_private_links = true;
    return s;
  }
  FakeHttpApis fake;
  ToolLoop loop;
  std::shared_ptr<xz::net::HttpClient> http = std::make_shared<xz::net::HttpClient>();
  FakeSession session{loop.loop().get_executor()};
  NewsPicker last = [](std::size_t n) { return n - 1; };
};

}  // namespace

TEST(IndianNews, SourcesAsTheReferenceMatchesThem) {
  IndianNewsSettings s;
  EXPECT_EQ(indian_news_source("The Hindu", s), "hindu");
  EXPECT_EQ(indian_news_source("times of india", s), "times_of_india");
  EXPECT_EQ(indian_news_source("NDTV", s), "ndtv");
  EXPECT_EQ(indian_news_source("Le Monde", s), "times_of_india");
  EXPECT_EQ(indian_news_source("", s), "times_of_india");
  EXPECT_EQ(source_display_name("times_of_india"), "Times Of India");
}

TEST_F(IndianNewsFixture, ASourcesFeedThenTheDetailOfItsItem) {
  fake.set_page("/rss/hindu.xml", feed(fake.url(), "Hindu", 3), "application/rss+xml");
  fake.set_page("/pages/in2.html",
                "<html><body><p>The monsoon session of Parliament begins today.</p><p>Several bills are listed.</p></body></html>");
  GetIndianNews tool(sources(), http, last);
  auto r = call_tool(loop, tool, {{"source", "The Hindu"}, {"lang", "en_US"}}, session);
  ASSERT_EQ(r.action, Action::reqllm) << r.result << r.response;
  EXPECT_EQ(r.result,
            "Based on the following data, respond to user's Indian news query in en_US:\n\nNews source: Hindu\n"
            "News title: Hindu story 2\nPublished: Wed, 10 Jan 2024 12:00:00 +0530\nSummary: Summary 2\n\n"
            "(Please present this Indian news to the user naturally. If user wants more details, they can ask for "
            "detailed content.)");
  EXPECT_EQ(fake.last_call().path, "/rss/hindu.xml");
  auto d = call_tool(loop, tool, {{"detail", true}, {"lang", "en_US"}}, session);
  EXPECT_NE(d.result.find("monsoon session of Parliament"), std::string::npos) << d.result;
}

TEST_F(IndianNewsFixture, ABrokenFeedIsASpokenError) {
  GetIndianNews tool(sources(), http, last);
  auto missing = call_tool(loop, tool, {{"lang", "en_US"}}, session);  // the default source's feed: 404
  EXPECT_EQ(missing.action, Action::error);
  EXPECT_NE(missing.response.find("Times Of India"), std::string::npos) << missing.response;
  EXPECT_NE(missing.result.find("HTTP 404"), std::string::npos) << missing.result;
}

TEST_F(IndianNewsFixture, WithoutAKeyTheFirstFeedThatAnswersIsRead) {
  fake.set_page("/rss/mint.xml", feed(fake.url(), "Mint", 8), "application/rss+xml");  // pib.xml: 404
  GetIndianNewsApi tool(api(), http, last);
  auto r = call_tool(loop, tool, {{"category", "business"}, {"lang", "en_IN"}}, session);
  ASSERT_EQ(r.action, Action::reqllm) << r.result << r.response;
  // The first 5 items of the feed, as the reference takes them: the last is story 4.
  EXPECT_NE(r.result.find("📰 News Title: Mint story 4\n"), std::string::npos) << r.result;
  EXPECT_NE(r.result.find("📺 Source: 127.0.0.1"), std::string::npos) << r.result;
  EXPECT_NE(r.result.find("🏷️ Category: Business"), std::string::npos) << r.result;
  EXPECT_NE(r.result.find("respond to user's query in en_IN"), std::string::npos);
  EXPECT_EQ(fake.calls().size(), 2u);
}

TEST_F(IndianNewsFixture, WithAKeyNewsApisTopHeadlinesForIndia) {
  fake.add_newsapi_article("technology", "ISRO tests a new engine", "The Hindu", fake.url() + "/pages/in0.html");
  fake.add_newsapi_article("business", "Markets close higher", "Mint", fake.url() + "/pages/in1.html");
  auto s = api();
  s.api_key = "newsapi-test";
  GetIndianNewsApi tool(s, http, last);
  auto r = call_tool(loop, tool, {{"category", "Technology"}, {"lang", "en_US"}}, session);
  ASSERT_EQ(r.action, Action::reqllm) << r.result << r.response;
  EXPECT_NE(r.result.find("📰 News Title: ISRO tests a new engine\n📅 Published: 2024-01-10T06:30:00Z\n📺 Source: The Hindu"),
            std::string::npos)
      << r.result;
  const auto call = fake.last_call();
  EXPECT_EQ(call.path, "/v2/top-headlines");
  EXPECT_EQ(call.query.at("country"), "in");
  EXPECT_EQ(call.query.at("category"), "technology");
  EXPECT_EQ(call.headers.at("x-api-key"), "newsapi-test");
  EXPECT_EQ(call.query.count("apiKey"), 0u);  // the key stays out of the URL

  // A category NewsAPI does not have asks for all of India's headlines.
  call_tool(loop, tool, {{"category", "politics"}, {"lang", "en_US"}}, session);
  EXPECT_EQ(fake.last_call().query.count("category"), 0u);

  s.api_key = "wrong";
  GetIndianNewsApi bad(s, http, last);
  auto refused = call_tool(loop, bad, {{"lang", "en_US"}}, session);
  EXPECT_EQ(refused.action, Action::error);
  EXPECT_NE(refused.result.find("apiKeyInvalid"), std::string::npos) << refused.result;
}

TEST_F(IndianNewsFixture, NoFeedAnsweringIsASpokenError) {
  auto s = api();
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(xz::test::free_port());  // refuses connections
  s.feeds = {nowhere + "/a.xml", nowhere + "/b.xml"};
  GetIndianNewsApi tool(s, http, last);
  auto r = call_tool(loop, tool, {{"lang", "en_US"}}, session);
  EXPECT_EQ(r.action, Action::error);
  EXPECT_EQ(r.response, "Sorry, unable to fetch Indian news at the moment. Please try again later.");
  EXPECT_NE(r.result.find("no Indian news feed answered"), std::string::npos) << r.result;
}

TEST(NewsApiAnswer, ArticlesAndErrors) {
  auto a = newsapi_articles(json::parse(
      R"({"status":"ok","totalResults":2,"articles":[{"source":{"id":null,"name":"NDTV"},"title":"T1","description":null,"url":"javascript:x","publishedAt":"2024-01-10T06:30:00Z"},{"title":""},3]})"));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].source, "NDTV");
  EXPECT_EQ(a[0].url, "");  // only http(s) links are kept
  EXPECT_THROW(newsapi_articles(json::parse(R"({"status":"error","code":"rateLimited","message":"Too many"})")), WebApiError);
  EXPECT_THROW(newsapi_articles(json::parse("null")), WebApiError);
}
