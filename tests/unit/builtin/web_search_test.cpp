// web_search against local fakes of Tavily and SearxNG.
#include <gtest/gtest.h>

#include "builtin_test_util.h"
#include "support/fake_http_apis.h"
#include "tools/builtin/web_search.h"

using namespace xz::tools::builtin;
using namespace std::chrono_literals;
using xz::test::call_tool;
using xz::test::FakeHttpApis;
using xz::test::FakeSearchResult;
using xz::test::FakeSession;
using xz::test::ToolLoop;
using xz::tools::Action;

namespace {

struct SearchFixture : ::testing::Test {
  SearchFixture() {
    fake.set_search_results({
        {"Paris - Wikipedia", "https://en.wikipedia.org/wiki/Paris", "Paris is the capital of France."},
        {"Paris travel guide", "https://example.com/paris", "Where to go in Paris."},
        {"Weather in Paris", "https://example.com/weather", "Sunny today."},
    });
  }
  WebSearchSettings tavily() {
    WebSearchSettings s;
    s.url = fake.url() + "/search";
    s.api_key = "tvly-test";
    s.timeout = 2s;
    return s;
  }
  WebSearchSettings searxng() {
    WebSearchSettings s;
    s.provider = WebSearchSettings::Provider::searxng;
    s.url = fake.url();
    s.timeout = 2s;
    return s;
  }
  FakeHttpApis fake;
  ToolLoop loop;
  std::shared_ptr<xz::net::HttpClient> http = std::make_shared<xz::net::HttpClient>();
  FakeSession session{loop.loop().get_executor()};
};

}  // namespace

TEST_F(SearchFixture, TavilyPostsTheKeyAndQuery) {
  auto s = tavily();
  s.max_results = 2;
  WebSearch tool(s, http);
  auto r = call_tool(loop, tool, {{"query", "capital of France"}}, session);
  ASSERT_EQ(r.action, Action::reqllm) << r.result;
  EXPECT_NE(r.result.find("1. Paris - Wikipedia\nParis is the capital of France.\nSource: https://en.wikipedia.org/wiki/Paris"),
            std::string::npos)
      << r.result;
  EXPECT_NE(r.result.find("2. Paris travel guide"), std::string::npos);
  EXPECT_EQ(r.result.find("Weather in Paris"), std::string::npos);  // max_results

  auto call = fake.last_call();
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.json["api_key"], "tvly-test");
  EXPECT_EQ(call.json["query"], "capital of France");
  EXPECT_EQ(call.json["max_results"], 2);
}

TEST_F(SearchFixture, TavilyRejectedKeyIsAnError) {
  fake.set_tavily_key("tvly-other");
  WebSearch tool(tavily(), http);
  auto r = call_tool(loop, tool, {{"query", "anything"}}, session);
  EXPECT_EQ(r.action, Action::error);
  EXPECT_NE(r.result.find("HTTP 401"), std::string::npos) << r.result;
  EXPECT_NE(r.result.find("invalid API key"), std::string::npos) << r.result;
  EXPECT_FALSE(r.response.empty());
}

TEST_F(SearchFixture, SearxngGetsJsonResults) {
  WebSearch tool(searxng(), http);
  auto r = call_tool(loop, tool, {{"query", "paris & lyon"}}, session);
  ASSERT_EQ(r.action, Action::reqllm) << r.result;
  EXPECT_NE(r.result.find("3. Weather in Paris\nSunny today."), std::string::npos) << r.result;
  auto call = fake.last_call();
  EXPECT_EQ(call.method, "GET");
  EXPECT_EQ(call.path, "/search");
  EXPECT_EQ(call.query["format"], "json");
  EXPECT_EQ(call.query["q"], "paris & lyon");
  EXPECT_NE(call.target.find("q=paris%20%26%20lyon"), std::string::npos) << call.target;

  fake.set_searxng_json_enabled(false);
  auto off = call_tool(loop, tool, {{"query", "paris"}}, session);
  EXPECT_EQ(off.action, Action::error);
  EXPECT_NE(off.result.find("HTTP 403"), std::string::npos);
}

TEST_F(SearchFixture, NoResultsAndNoQuery) {
  fake.set_search_results({});
  WebSearch tool(searxng(), http);
  auto r = call_tool(loop, tool, {{"query", "zzzz"}}, session);
  EXPECT_EQ(r.action, Action::reqllm);
  EXPECT_NE(r.result.find("found nothing"), std::string::npos);
  auto empty = call_tool(loop, tool, {{"query", "  "}}, session);
  EXPECT_EQ(empty.action, Action::reqllm);
  EXPECT_EQ(fake.call_count(), 1u);
}

TEST_F(SearchFixture, LongResultsAreTrimmedToTheBound) {
  std::vector<FakeSearchResult> many;
  for (int i = 0; i < 10; ++i)
    many.push_back({"Title " + std::to_string(i), "https://example.com/" + std::to_string(i),
                    std::string(3000, static_cast<char>('a' + i)) + "尾"});
  fake.set_search_results(many);
  auto s = searxng();
  s.max_results = 10;
  s.max_chars = 1500;
  WebSearch tool(s, http);
  auto r = call_tool(loop, tool, {{"query", "long"}}, session);
  ASSERT_EQ(r.action, Action::reqllm);
  EXPECT_LE(r.result.size(), 1500u);
  EXPECT_NE(r.result.find("1. Title 0"), std::string::npos);
  EXPECT_NE(r.result.find("..."), std::string::npos);  // each snippet was cut
}

TEST_F(SearchFixture, MetasoPostsTheReferenceBodyAndReadsWebpages) {
  fake.set_search_results({
      {"巴黎 - 维基百科", "https://zh.wikipedia.org/wiki/巴黎", "巴黎是法国的首都。", "2024-01-10"},
      {"No date", "https://example.com/b", "Second result.", ""},
      {"Third", "https://example.com/c", "Third result.", ""},
  });
  WebSearchSettings s;
  s.provider = WebSearchSettings::Provider::metaso;
  s.url = fake.url() + "/api/v1/search";
  s.api_key = "mk-test";
  s.max_results = 2;
  s.timeout = 2s;
  WebSearch tool(s, http);
  auto r = call_tool(loop, tool, {{"query", "法国首都"}}, session);
  ASSERT_EQ(r.action, Action::reqllm) << r.result << r.response;
  EXPECT_NE(r.result.find("1. 巴黎 - 维基百科\nDate: 2024-01-10\n巴黎是法国的首都。\nSource: https://zh.wikipedia.org/wiki/巴黎"),
            std::string::npos)
      << r.result;
  EXPECT_NE(r.result.find("2. No date\nSecond result."), std::string::npos) << r.result;
  EXPECT_EQ(r.result.find("Third"), std::string::npos);
  auto call = fake.last_call();
  EXPECT_EQ(call.path, "/api/v1/search");
  EXPECT_EQ(call.headers["authorization"], "Bearer mk-test");
  EXPECT_EQ(call.json["q"], "法国首都");
  EXPECT_EQ(call.json["size"], 2);
  EXPECT_EQ(call.json["scope"], "webpage");
  EXPECT_EQ(call.json["includeSummary"], true);

  fake.set_metaso_key("mk-other");
  auto rejected = call_tool(loop, tool, {{"query", "x"}}, session);
  EXPECT_EQ(rejected.action, Action::error);
  EXPECT_NE(rejected.result.find("HTTP 401"), std::string::npos) << rejected.result;
  EXPECT_NE(rejected.result.find("invalid API key"), std::string::npos) << rejected.result;

  fake.fail_next(200, R"({"errCode":4001,"errMsg":"quota exhausted"})");
  auto quota = call_tool(loop, tool, {{"query", "x"}}, session);
  EXPECT_EQ(quota.action, Action::error);
  EXPECT_NE(quota.result.find("quota exhausted"), std::string::npos) << quota.result;

  fake.fail_next(200, R"({"webpages":[{"title":7,"link":["x"],"summary":"only a summary"},"junk"]})");
  auto odd = call_tool(loop, tool, {{"query", "x"}}, session);
  EXPECT_EQ(odd.action, Action::reqllm);
  EXPECT_NE(odd.result.find("1. \nonly a summary"), std::string::npos) << odd.result;
}

TEST_F(SearchFixture, WithoutAKeyItSaysItIsNotConfigured) {
  WebSearchSettings s;
  s.provider = WebSearchSettings::Provider::metaso;
  s.url = fake.url() + "/api/v1/search";
  WebSearch tool(s, http);
  auto r = call_tool(loop, tool, {{"query", "anything"}}, session);
  EXPECT_EQ(r.action, Action::reqllm);
  EXPECT_NE(r.result.find("not configured"), std::string::npos);
  EXPECT_EQ(fake.call_count(), 0u);
}

TEST(WebSearchSettings, ProviderNeedsItsKeys) {
  auto problems_for = [](nlohmann::json plugin) {
    nlohmann::json root = nlohmann::json::object();
    xz::core::set_path(root, "plugins.web_search", std::move(plugin));
    std::vector<std::string> problems;
    WebSearchSettings::from(PluginConfig(xz::core::Config(root), "web_search", problems));
    return problems;
  };
  // The reference's default config selects web_search: without a key the server still starts.
  EXPECT_TRUE(problems_for({{"provider", "tavily"}}).empty());
  EXPECT_TRUE(problems_for({{"provider", "metaso"}, {"api_key", ""}, {"max_results", "5"}}).empty());
  auto p = problems_for({{"provider", "searxng"}});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].rfind("plugins.web_search.url:", 0), 0u) << p[0];
  p = problems_for({{"provider", "bing"}});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("unknown provider 'bing' (metaso, tavily or searxng)"), std::string::npos);
  EXPECT_TRUE(problems_for({{"provider", "searxng"}, {"url", "http://searx.local/"}, {"max_results", 3}}).empty());
  p = problems_for({{"provider", "searxng"}, {"url", "http://searx.local"}, {"max_results", 50}});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("plugins.web_search.max_results"), std::string::npos);
}
