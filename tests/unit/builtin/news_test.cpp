// get_news_from_newsnow and get_news_from_chinanews against local fakes of newsnow,
// RSS feeds and news article pages.
#include <gtest/gtest.h>

#include "builtin_test_util.h"
#include "support/fake_http_apis.h"
#include "tools/builtin/get_news_from_chinanews.h"
#include "tools/builtin/get_news_from_newsnow.h"

using namespace xz::tools::builtin;
using namespace std::chrono_literals;
using nlohmann::json;
using xz::test::call_tool;
using xz::test::FakeHttpApis;
using xz::test::FakeSession;
using xz::test::ToolLoop;
using xz::tools::Action;

namespace {

const char* kArticle =
    "<html><head><meta charset=\"utf-8\"><title>Article</title></head><body><nav>首页 | 登录</nav>"
    "<div class=\"content\"><p>市政府今天宣布了新的公园建设计划。</p><p>计划包括三个新公园和一条河滨步道。</p>"
    "</div></body></html>";

std::string feed_xml(const std::string& base, int items) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>中新网</title>";
  for (int i = 0; i < items; ++i)
    xml += "<item><title>新闻" + std::to_string(i) + "</title><link>" + base + "/pages/a" + std::to_string(i) +
           ".html</link><description><![CDATA[<p>摘要" + std::to_string(i) +
           "</p>]]></description><pubDate>Wed, 10 Jan 2024 12:00:00 +0800</pubDate></item>";
  return xml + "</channel></rss>";
}

struct NewsFixture : ::testing::Test {
  NewsnowSettings newsnow() {
    NewsnowSettings s;
    s.url = fake->url() + "/api/s?id=";
    s.sources = {{"澎湃新闻", "thepaper"}, {"百度热搜", "baidu"}};
    s.timeout = 2s;
    s.allow_private_links = true;  // the fake's article pages are on 127.0.0.1
    return s;
  }
  ChinanewsSettings chinanews() {
    ChinanewsSettings s;
    s.feeds = {{"default", fake->url() + "/rss/society.xml"},
               {"society", fake->url() + "/rss/society.xml"},
               {"world", fake->url() + "/rss/world.xml"}};
    s.timeout = 2s;
    s.allow_private_links = true;
    return s;
  }
  std::unique_ptr<FakeHttpApis> fake = std::make_unique<FakeHttpApis>();
  ToolLoop loop;
  std::shared_ptr<xz::net::HttpClient> http = std::make_shared<xz::net::HttpClient>();
  FakeSession session{loop.loop().get_executor()};
  NewsPicker last = [](std::size_t n) { return n - 1; };
};

}  // namespace

TEST_F(NewsFixture, NewsnowHeadlineThenDetail) {
  fake->set_newsnow_items("baidu", {{"First headline", fake->url() + "/pages/one.html"},
                                    {"公园建设计划", fake->url() + "/pages/park.html"}});
  fake->set_page("/pages/park.html", kArticle);
  GetNewsFromNewsnow tool(newsnow(), http, last);
  EXPECT_EQ(tool.schema().parameters["required"], json::array({"lang"}));
  EXPECT_NE(tool.schema().description.find("澎湃新闻、百度热搜"), std::string::npos);

  auto r = call_tool(loop, tool, {{"source", "百度热搜"}, {"lang", "zh_CN"}}, session);
  ASSERT_EQ(r.action, Action::reqllm) << r.result << r.response;
  EXPECT_NE(r.result.find("Title: 公园建设计划"), std::string::npos) << r.result;
  EXPECT_NE(r.result.find("百度热搜"), std::string::npos);
  auto call = fake->last_call();
  EXPECT_EQ(call.path, "/api/s");
  EXPECT_EQ(call.query["id"], "baidu");

  auto d = call_tool(loop, tool, {{"detail", true}, {"lang", "en_US"}}, session);
  ASSERT_EQ(d.action, Action::reqllm) << d.result;
  EXPECT_NE(d.result.find("市政府今天宣布了新的公园建设计划。\n计划包括三个新公园和一条河滨步道。"), std::string::npos)
      << d.result;
  EXPECT_EQ(d.result.find("登录"), std::string::npos);
  EXPECT_NE(d.result.find("en_US"), std::string::npos);
  EXPECT_EQ(fake->last_call().path, "/pages/park.html");

  // Another session has read nothing: no detail for it.
  FakeSession other(loop.loop().get_executor());
  other.set_session_id("other-session");
  auto none = call_tool(loop, tool, {{"detail", true}, {"lang", "zh_CN"}}, other);
  EXPECT_NE(none.result.find("No news item was read"), std::string::npos) << none.result;
}

TEST_F(NewsFixture, NewsnowUnknownSourceIsTheDefaultAndDetailNeedsAHeadline) {
  fake->set_newsnow_items("thepaper", {{"澎湃头条", ""}});
  GetNewsFromNewsnow tool(newsnow(), http, last);
  auto no_item = call_tool(loop, tool, {{"detail", "true"}, {"lang", "zh_CN"}}, session);
  EXPECT_EQ(no_item.action, Action::reqllm);
  EXPECT_NE(no_item.result.find("No news item was read"), std::string::npos);
  EXPECT_EQ(fake->call_count(), 0u);

  auto r = call_tool(loop, tool, {{"source", "不存在的源"}, {"lang", 7}}, session);
  ASSERT_EQ(r.action, Action::reqllm) << r.result;
  EXPECT_NE(r.result.find("澎湃头条"), std::string::npos);
  EXPECT_NE(r.result.find("zh_CN"), std::string::npos);  // a lang of the wrong type is the default
  EXPECT_EQ(fake->last_call().query["id"], "thepaper");

  auto d = call_tool(loop, tool, {{"detail", true}}, session);
  EXPECT_EQ(d.action, Action::reqllm);
  EXPECT_NE(d.result.find("has no link"), std::string::npos) << d.result;
}

TEST_F(NewsFixture, NewsnowFailuresAreSpokenNotThrown) {
  GetNewsFromNewsnow tool(newsnow(), http, last);
  // newsnow cannot fetch the source: HTTP 500.
  auto r500 = call_tool(loop, tool, {{"lang", "zh_CN"}}, session);
  EXPECT_EQ(r500.action, Action::error);
  EXPECT_FALSE(r500.response.empty());
  EXPECT_NE(r500.result.find("HTTP 500"), std::string::npos) << r500.result;

  // Shapes that are not newsnow's: items not a list, items of the wrong types.
  fake->fail_next(200, R"({"status":"success","items":{"title":"x"}})");
  auto shape = call_tool(loop, tool, {{"lang", "zh_CN"}}, session);
  EXPECT_EQ(shape.action, Action::error);
  EXPECT_NE(shape.result.find("no items list"), std::string::npos);
  fake->fail_next(200, R"({"items":[1,"x",{"title":5},{"title":["a"]},{"title":"  "}]})");
  auto types = call_tool(loop, tool, {{"lang", "zh_CN"}}, session);
  EXPECT_EQ(types.action, Action::reqllm);
  EXPECT_NE(types.result.find("has no news right now"), std::string::npos) << types.result;
  fake->fail_next(200, "<html>not json</html>");
  EXPECT_EQ(call_tool(loop, tool, {{"lang", "zh_CN"}}, session).action, Action::error);

  // A slow API is cut off by the timeout.
  auto s = newsnow();
  s.timeout = 300ms;
  GetNewsFromNewsnow slow(s, http, last);
  fake->set_newsnow_items("thepaper", {{"late", ""}});
  fake->delay_next(3s);
  const auto t0 = std::chrono::steady_clock::now();
  auto timed_out = call_tool(loop, slow, {{"lang", "zh_CN"}}, session);
  EXPECT_EQ(timed_out.action, Action::error);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);

  // The API is gone altogether.
  fake.reset();
  auto down = call_tool(loop, tool, {{"lang", "zh_CN"}}, session);
  EXPECT_EQ(down.action, Action::error);
  EXPECT_FALSE(down.response.empty());
}

TEST_F(NewsFixture, ArticleLinksIntoPrivateNetworksAreRefusedByDefault) {
  fake->set_newsnow_items("thepaper", {{"Local link", fake->url() + "/pages/park.html"}});
  fake->set_page("/pages/park.html", kArticle);
  auto s = newsnow();
  s.allow_private_links = false;
  GetNewsFromNewsnow tool(s, http, last);
  ASSERT_EQ(call_tool(loop, tool, {{"lang", "zh_CN"}}, session).action, Action::reqllm);
  const auto calls = fake->call_count();
  auto d = call_tool(loop, tool, {{"detail", true}}, session);
  EXPECT_EQ(d.action, Action::reqllm);
  EXPECT_NE(d.result.find("private network"), std::string::npos) << d.result;
  EXPECT_EQ(fake->call_count(), calls);  // never fetched
}

TEST_F(NewsFixture, ArticlePagesFollowRedirectsAndRefuseOtherCharsets) {
  fake->set_newsnow_items("thepaper", {{"Moved", fake->url() + "/pages/old.html"}});
  fake->set_redirect("/pages/old.html", "/pages/new.html", 301);
  fake->set_page("/pages/new.html", kArticle);
  GetNewsFromNewsnow tool(newsnow(), http, last);
  ASSERT_EQ(call_tool(loop, tool, {{"lang", "zh_CN"}}, session).action, Action::reqllm);
  auto d = call_tool(loop, tool, {{"detail", true}}, session);
  EXPECT_NE(d.result.find("河滨步道"), std::string::npos) << d.result;

  fake->set_page("/pages/new.html", "<html><body><p>\xB9\xAB\xD4\xB0\xBD\xA8\xC9\xE8</p></body></html>",
                 "text/html; charset=GBK");
  auto gbk = call_tool(loop, tool, {{"detail", true}}, session);
  EXPECT_EQ(gbk.action, Action::reqllm);
  EXPECT_NE(gbk.result.find("gbk, not UTF-8"), std::string::npos) << gbk.result;

  fake->set_redirect("/pages/new.html", "/pages/old.html", 302);  // a loop
  auto loop_result = call_tool(loop, tool, {{"detail", true}}, session);
  EXPECT_NE(loop_result.result.find("too many redirects"), std::string::npos) << loop_result.result;
}

TEST(NewsnowSettings, SourcesAsTheReferenceWritesThem) {
  auto settings_for = [](json plugin, std::vector<std::string>& problems) {
    json root = json::object();
    xz::core::set_path(root, "plugins.get_news_from_newsnow", std::move(plugin));
    return NewsnowSettings::from(PluginConfig(xz::core::Config(root), "get_news_from_newsnow", problems));
  };
  std::vector<std::string> problems;
  auto s = settings_for({{"url", "https://newsnow.busiyi.world/api/s?id="}, {"news_sources", "澎湃新闻;百度热搜；财联社"}},
                        problems);
  EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  ASSERT_EQ(s.sources.size(), 3u);
  EXPECT_EQ(s.sources[1].id, "baidu");
  EXPECT_EQ(s.sources[2].id, "cls-depth");  // after a full-width ';'

  s = settings_for({{"news_sources", json::array({"Hacker News", "zhihu"})}}, problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(s.sources.size(), 2u);
  EXPECT_EQ(s.sources[0].id, "hackernews");
  EXPECT_EQ(s.sources[1].name, "知乎");

  s = settings_for({{"news_sources", "澎湃新闻;人民日报"}, {"url", "newsnow"}}, problems);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].rfind("plugins.get_news_from_newsnow.url:", 0), 0u);
  EXPECT_NE(problems[1].find("unknown source '人民日报'"), std::string::npos);
}

TEST_F(NewsFixture, ChinanewsCategoryFeedThenDetail) {
  fake->set_page("/rss/world.xml", feed_xml(fake->url(), 3), "application/xml");
  fake->set_page("/pages/a2.html", kArticle);
  GetNewsFromChinanews tool(chinanews(), http, last);
  EXPECT_NE(tool.schema().description.find("society, world"), std::string::npos) << tool.schema().description;

  auto r = call_tool(loop, tool, {{"category", "国际新闻"}, {"lang", "zh_CN"}}, session);
  ASSERT_EQ(r.action, Action::reqllm) << r.result << r.response;
  EXPECT_NE(r.result.find("Title: 新闻2\nPublished: Wed, 10 Jan 2024 12:00:00 +0800\nContent: 摘要2"),
            std::string::npos)
      << r.result;
  EXPECT_EQ(fake->last_call().path, "/rss/world.xml");

  auto d = call_tool(loop, tool, {{"detail", true}, {"lang", "zh_CN"}}, session);
  ASSERT_EQ(d.action, Action::reqllm);
  EXPECT_NE(d.result.find("公园建设计划"), std::string::npos) << d.result;

  // Unknown and missing categories read the default feed.
  fake->set_page("/rss/society.xml", feed_xml(fake->url(), 1), "application/xml");
  auto other = call_tool(loop, tool, {{"category", "天文"}, {"lang", "zh_CN"}}, session);
  EXPECT_EQ(fake->last_call().path, "/rss/society.xml");
  EXPECT_NE(other.result.find("Title: 新闻0"), std::string::npos);
  call_tool(loop, tool, {{"lang", "zh_CN"}}, session);
  EXPECT_EQ(fake->last_call().path, "/rss/society.xml");
}

TEST(Chinanews, CategoriesInChineseAndEnglish) {
  EXPECT_EQ(chinanews_category("社会"), "society");
  EXPECT_EQ(chinanews_category("International News"), "world");
  EXPECT_EQ(chinanews_category(" 财经 "), "finance");
  EXPECT_EQ(chinanews_category("经济"), "finance");
  EXPECT_EQ(chinanews_category("科技"), "tech");
  EXPECT_EQ(chinanews_category("world_rss_url"), "world");
  EXPECT_EQ(chinanews_category("Auto"), "auto");
}

TEST_F(NewsFixture, ChinanewsBadFeedsAreSpokenErrors) {
  GetNewsFromChinanews tool(chinanews(), http, last);
  auto missing = call_tool(loop, tool, {{"lang", "zh_CN"}}, session);  // 404
  EXPECT_EQ(missing.action, Action::error);
  EXPECT_NE(missing.result.find("HTTP 404"), std::string::npos) << missing.result;

  fake->set_page("/rss/society.xml", "<html><body><p>maintenance</p></body></html>");
  auto html = call_tool(loop, tool, {{"lang", "zh_CN"}}, session);
  EXPECT_EQ(html.action, Action::error);
  EXPECT_NE(html.result.find("not a usable feed"), std::string::npos) << html.result;

  fake->set_page("/rss/society.xml", "<?xml version=\"1.0\" encoding=\"gb2312\"?><rss/>", "application/xml");
  auto gb = call_tool(loop, tool, {{"lang", "zh_CN"}}, session);
  EXPECT_NE(gb.result.find("gb2312"), std::string::npos) << gb.result;

  // A feed bigger than the bound is refused while it is read.
  auto s = chinanews();
  s.max_feed_bytes = 16 * 1024;
  GetNewsFromChinanews bounded(s, http, last);
  fake->set_page("/rss/society.xml", feed_xml(fake->url(), 200), "application/xml");
  auto big = call_tool(loop, bounded, {{"lang", "zh_CN"}}, session);
  EXPECT_EQ(big.action, Action::error);
  EXPECT_EQ(call_tool(loop, tool, {{"lang", "zh_CN"}}, session).action, Action::reqllm);  // the default bound takes it

  fake->set_page("/rss/society.xml", "<rss><channel></channel></rss>", "application/xml");
  auto empty = call_tool(loop, tool, {{"lang", "zh_CN"}}, session);
  EXPECT_EQ(empty.action, Action::reqllm);
  EXPECT_NE(empty.result.find("no items"), std::string::npos);

  fake.reset();
  auto down = call_tool(loop, tool, {{"lang", "zh_CN"}}, session);
  EXPECT_EQ(down.action, Action::error);
  EXPECT_FALSE(down.response.empty());
}

TEST(ChinanewsSettings, FeedsPerCategoryFromTheReferenceKeys) {
  json root = json::object();
  xz::core::set_path(root, "plugins.get_news_from_chinanews",
                     json{{"default_rss_url", "https://www.chinanews.com.cn/rss/society.xml"},
                          {"sports_rss_url", "https://www.chinanews.com.cn/rss/sports.xml"},
                          {"world_rss_url", "ftp://nope"},
                          {"unrelated", 5}});
  std::vector<std::string> problems;
  auto s = ChinanewsSettings::from(PluginConfig(xz::core::Config(root), "get_news_from_chinanews", problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rfind("plugins.get_news_from_chinanews.world_rss_url:", 0), 0u) << problems[0];
  EXPECT_EQ(s.feeds["sports"], "https://www.chinanews.com.cn/rss/sports.xml");
  EXPECT_EQ(s.feeds["finance"], "https://www.chinanews.com.cn/rss/finance.xml");  // the reference's default
}
