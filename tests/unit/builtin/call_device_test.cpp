// call_device against a local fake of the manager-api's address book.
#include "tools/builtin/call_device.h"

#include <gtest/gtest.h>

#include "builtin_test_util.h"
#include "support/fake_http_apis.h"

using namespace xz::tools::builtin;
using namespace std::chrono_literals;
using nlohmann::json;
using xz::test::call_tool;
using xz::test::FakeHttpApis;
using xz::test::FakeSession;
using xz::test::ToolLoop;
using xz::tools::Action;

namespace {

struct CallFixture : ::testing::Test {
  CallFixture() {
    fake->add_address_book_entry("aa:bb:cc:dd:ee:ff", "小陈");
    fake->add_address_book_entry("aa:bb:cc:dd:ee:ff", "小翁", "error", "对方设备不在线");
  }
  CallDeviceSettings settings() {
    CallDeviceSettings s;
    s.manager_url = fake->url();
    s.secret = "manager-secret";
    s.timeout = 2s;
    return s;
  }
  std::unique_ptr<FakeHttpApis> fake = std::make_unique<FakeHttpApis>();
  ToolLoop loop;
  std::shared_ptr<xz::net::HttpClient> http = std::make_shared<xz::net::HttpClient>();
  FakeSession session{loop.loop().get_executor()};
};

}  // namespace

TEST_F(CallFixture, PlacesTheCallThroughTheAddressBook) {
  CallDevice tool(settings(), http);
  auto r = call_tool(loop, tool, {{"nickname", "小陈"}}, session);
  ASSERT_EQ(r.action, Action::response) << r.result << r.response;
  EXPECT_NE(r.response.find("小陈"), std::string::npos);
  auto call = fake->last_call();
  EXPECT_EQ(call.path, "/device/address-book/call");
  EXPECT_EQ(call.query["callerMac"], "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(call.query["nickname"], "小陈");
  EXPECT_EQ(call.headers["authorization"], "Bearer manager-secret");
}

TEST_F(CallFixture, RefusalsAreSpoken) {
  CallDevice tool(settings(), http);
  auto offline = call_tool(loop, tool, {{"nickname", "小翁"}}, session);
  EXPECT_EQ(offline.action, Action::error);
  EXPECT_EQ(offline.response, "对方设备不在线");

  auto unknown = call_tool(loop, tool, {{"nickname", "没有这个人"}}, session);
  EXPECT_EQ(unknown.action, Action::error);
  EXPECT_EQ(unknown.response, "未找到对应设备");

  auto s = settings();
  s.secret = "wrong";
  CallDevice unauthorized(s, http);
  auto denied = call_tool(loop, unauthorized, {{"nickname", "小陈"}}, session);
  EXPECT_EQ(denied.action, Action::error);
  EXPECT_NE(denied.result.find("code 401"), std::string::npos) << denied.result;

  auto nobody = call_tool(loop, tool, {{"nickname", 12}}, session);
  EXPECT_EQ(nobody.action, Action::reqllm);

  for (const char* body : {R"({"code":"0"})", R"({"code":0,"data":"x"})", "[]"}) {
    fake->fail_next(200, body);
    auto odd = call_tool(loop, tool, {{"nickname", "小陈"}}, session);
    EXPECT_TRUE(odd.action == Action::error || odd.action == Action::response) << body;
  }

  fake.reset();
  auto down = call_tool(loop, tool, {{"nickname", "小陈"}}, session);
  EXPECT_EQ(down.action, Action::error);
  EXPECT_FALSE(down.response.empty());
}

TEST(CallDeviceSettings, NeedsTheManagerApi) {
  json root = json::object();
  std::vector<std::string> problems;
  xz::core::Config empty(root);
  CallDeviceSettings::from(empty, PluginConfig(empty, "call_device", problems), problems);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].rfind("manager-api.url:", 0), 0u);
  EXPECT_EQ(problems[1].rfind("manager-api.secret:", 0), 0u);

  xz::core::set_path(root, "manager-api.url", "http://127.0.0.1:8002/xiaozhi/");
  xz::core::set_path(root, "manager-api.secret", "s");
  problems.clear();
  xz::core::Config set(root);
  auto s = CallDeviceSettings::from(set, PluginConfig(set, "call_device", problems), problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(s.manager_url, "http://127.0.0.1:8002/xiaozhi");
}
