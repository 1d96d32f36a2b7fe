// search_from_ragflow against a local fake of RAGFlow's retrieval API.
#include <gtest/gtest.h>

#include "builtin_test_util.h"
#include "support/fake_http_apis.h"
#include "tools/builtin/search_from_ragflow.h"

using namespace xz::tools::builtin;
using namespace std::chrono_literals;
using nlohmann::json;
using xz::test::call_tool;
using xz::test::FakeHttpApis;
using xz::test::FakeSession;
using xz::test::ToolLoop;
using xz::tools::Action;

namespace {

struct RagflowFixture : ::testing::Test {
  RagflowFixture() {
    fake->set_ragflow_chunks("kb1", {"退货政策：收货后七天内可无理由退货。", "换货需要保留原包装。"});
    fake->set_ragflow_chunks("kb2", {"客服电话：400-000-0000。"});
  }
  RagflowSettings settings() {
    RagflowSettings s;
    s.base_url = fake->url();
    s.api_key = "ragflow-test";
    s.dataset_ids = {"kb1", "kb2"};
    s.timeout = 2s;
    return s;
  }
  std::unique_ptr<FakeHttpApis> fake = std::make_unique<FakeHttpApis>();
  ToolLoop loop;
  std::shared_ptr<xz::net::HttpClient> http = std::make_shared<xz::net::HttpClient>();
  FakeSession session{loop.loop().get_executor()};
};

}  // namespace

TEST_F(RagflowFixture, PassagesGoToTheLlm) {
  SearchFromRagflow tool(settings(), http);
  auto r = call_tool(loop, tool, {{"question", "怎么退货？"}}, session);
  ASSERT_EQ(r.action, Action::reqllm) << r.result << r.response;
  EXPECT_NE(r.result.find("[1] 退货政策：收货后七天内可无理由退货。\n[2] 换货需要保留原包装。\n[3] 客服电话"),
            std::string::npos)
      << r.result;
  auto call = fake->last_call();
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.path, "/api/v1/retrieval");
  EXPECT_EQ(call.headers["authorization"], "Bearer ragflow-test");
  EXPECT_EQ(call.json["question"], "怎么退货？");
  EXPECT_EQ(call.json["dataset_ids"], json::array({"kb1", "kb2"}));
}

TEST_F(RagflowFixture, ChunkCountAndTextAreBounded) {
  std::vector<std::string> many;
  for (int i = 0; i < 12; ++i) many.push_back("段落" + std::to_string(i) + std::string(3000, 'x'));
  fake->set_ragflow_chunks("kb1", many);
  auto s = settings();
  s.dataset_ids = {"kb1"};
  s.max_chunks = 3;
  s.max_chars = 1500;
  SearchFromRagflow tool(s, http);
  auto r = call_tool(loop, tool, {{"question", "q"}}, session);
  ASSERT_EQ(r.action, Action::reqllm);
  EXPECT_LE(r.result.size(), 1500u);
  EXPECT_NE(r.result.find("[3] 段落2"), std::string::npos) << r.result.substr(0, 200);
  EXPECT_EQ(r.result.find("[4]"), std::string::npos);
  EXPECT_EQ(fake->last_call().json["page_size"], 3);
}

TEST_F(RagflowFixture, RagflowErrorsAreSpoken) {
  auto s = settings();
  s.api_key = "ragflow-wrong";
  SearchFromRagflow bad_key(s, http);
  auto r = call_tool(loop, bad_key, {{"question", "q"}}, session);
  EXPECT_EQ(r.action, Action::error);
  EXPECT_FALSE(r.response.empty());
  EXPECT_NE(r.result.find("RAGFlow error 109: Authentication error"), std::string::npos) << r.result;

  s = settings();
  s.dataset_ids = {"nope"};
  SearchFromRagflow bad_dataset(s, http);
  auto d = call_tool(loop, bad_dataset, {{"question", "q"}}, session);
  EXPECT_EQ(d.action, Action::error);
  EXPECT_NE(d.result.find("RAGFlow error 102"), std::string::npos) << d.result;
}

TEST_F(RagflowFixture, WrongShapesAndADeadServerAreErrorsNotExceptions) {
  SearchFromRagflow tool(settings(), http);
  for (const char* body : {R"({"code":"0","data":{}})", R"([1,2])", R"({"code":0})", "<html>502</html>"}) {
    fake->fail_next(200, body);
    auto r = call_tool(loop, tool, {{"question", "q"}}, session);
    EXPECT_EQ(r.action, Action::error) << body;
    EXPECT_FALSE(r.response.empty()) << body;
  }
  fake->fail_next(200, R"({"code":0,"data":{"chunks":[1,{"content":5},{"content":""},{"nothing":true}]}})");
  auto none = call_tool(loop, tool, {{"question", "q"}}, session);
  EXPECT_EQ(none.action, Action::reqllm);
  EXPECT_NE(none.result.find("has nothing about"), std::string::npos) << none.result;

  fake->fail_next(502, "Bad Gateway");
  auto gw = call_tool(loop, tool, {{"question", "q"}}, session);
  EXPECT_EQ(gw.action, Action::error);
  EXPECT_NE(gw.result.find("HTTP 502"), std::string::npos) << gw.result;

  auto empty = call_tool(loop, tool, {{"question", 42}}, session);
  EXPECT_EQ(empty.action, Action::reqllm);

  fake.reset();
  auto down = call_tool(loop, tool, {{"question", "q"}}, session);
  EXPECT_EQ(down.action, Action::error);
  EXPECT_FALSE(down.response.empty());
}

TEST(RagflowSettings, ServerKeyAndDatasetsAreRequired) {
  auto problems_for = [](json plugin, RagflowSettings* out = nullptr) {
    json root = json::object();
    xz::core::set_path(root, "plugins.search_from_ragflow", std::move(plugin));
    std::vector<std::string> problems;
    auto s = RagflowSettings::from(PluginConfig(xz::core::Config(root), "search_from_ragflow", problems));
    if (out) *out = s;
    return problems;
  };
  auto p = problems_for(json::object());
  ASSERT_EQ(p.size(), 3u) << ::testing::PrintToString(p);
  EXPECT_EQ(p[0].rfind("plugins.search_from_ragflow.base_url:", 0), 0u);
  EXPECT_EQ(p[1].rfind("plugins.search_from_ragflow.api_key:", 0), 0u);
  EXPECT_EQ(p[2].rfind("plugins.search_from_ragflow.dataset_ids:", 0), 0u);
  RagflowSettings s;
  EXPECT_TRUE(problems_for({{"base_url", "http://192.168.0.8/"}, {"api_key", "ragflow-x"}, {"dataset_ids", "a, b\nc"}},
                           &s)
                  .empty());
  EXPECT_EQ(s.base_url, "http://192.168.0.8");
  EXPECT_EQ(s.dataset_ids, (std::vector<std::string>{"a", "b", "c"}));
}
