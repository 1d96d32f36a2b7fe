// Devices with the same tools share one list; different lists never mix.
#include <gtest/gtest.h>

#include "core/runtime.h"
#include "mcp_test_util.h"
#include "tools/mcp/shared_tool_lists.h"

using xz::protocol::McpTool;
using xz::tools::mcp::SharedToolLists;

namespace {

std::vector<McpTool> board_tools() {
  return {McpTool{"self.audio_speaker.set_volume", "Set the volume", {{"type", "object"}}, false},
          McpTool{"self.reboot", "Reboot the device", {{"type", "object"}}, true}};
}

}  // namespace

TEST(SharedToolLists, EqualListsShareOneCopyWithTheLlmSchemasOfVisibleTools) {
  SharedToolLists lists;
  auto a = lists.share(board_tools());
  auto b = lists.share(board_tools());
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(lists.live_lists(), 1u);
  ASSERT_EQ(a->all.size(), 2u);
  ASSERT_EQ(a->for_llm.size(), 1u) << "user-only tools stay out of the LLM's tools";
  const auto& schema = a->for_llm[0]->schema();
  EXPECT_EQ(schema.name, "self.audio_speaker.set_volume");
  EXPECT_EQ(schema.description, "Set the volume");
  EXPECT_EQ(schema.parameters, (nlohmann::json{{"type", "object"}}));
}

// One shared tool object serves every device: the call goes to the calling session's
// device under the device's own tool name.
TEST(SharedToolLists, ASharedToolRunsOnTheCallingSessionsDevice) {
  SharedToolLists lists;
  auto list = lists.share(board_tools());
  xz::core::Runtime rt{1, 1};
  rt.start();
  auto use = [](xz::tools::ToolPtr tool) -> xz::core::Task<xz::tools::ToolResult> {
    auto ex = co_await boost::asio::this_coro::executor;
    xz::test::FakeSessionActions session(ex);
    auto r = co_await xz::test::call_tool(*tool, R"({"volume": 30})", session);
    co_return r;
  };
  auto r = xz::test::run_in(rt.loop(0).get_executor(), use(list->for_llm[0]));
  EXPECT_EQ(r.result, R"(device self.audio_speaker.set_volume {"volume":30})");
}

TEST(SharedToolLists, AnyDifferenceMakesAnotherList) {
  SharedToolLists lists;
  auto base = lists.share(board_tools());
  auto other_schema = board_tools();
  other_schema[0].input_schema = {{"type", "object"}, {"required", {"volume"}}};
  auto other_audience = board_tools();
  other_audience[1].user_only = false;
  EXPECT_NE(lists.share(other_schema).get(), base.get());
  EXPECT_NE(lists.share(other_audience).get(), base.get());
  // Field boundaries cannot be forged by moving text from one field into the next.
  std::vector<McpTool> x{McpTool{"ab", "c", {}, false}};
  std::vector<McpTool> y{McpTool{"a", "bc", {}, false}};
  auto sx = lists.share(x);
  auto sy = lists.share(y);
  EXPECT_NE(sx.get(), sy.get());
  EXPECT_EQ(sy->all[0].name, "a");
}

TEST(SharedToolLists, AListLivesOnlyWhileASessionHoldsIt) {
  SharedToolLists lists;
  {
    auto held = lists.share(board_tools());
    EXPECT_EQ(lists.live_lists(), 1u);
  }
  EXPECT_EQ(lists.live_lists(), 0u);
  // Many distinct short-lived lists do not pile up in the index.
  for (int i = 0; i < 1000; ++i) lists.share({McpTool{"tool" + std::to_string(i), "", {}, false}});
  EXPECT_EQ(lists.live_lists(), 0u);
  EXPECT_LT(lists.index_size(), 200u) << "expired entries are swept";
  auto again = lists.share(board_tools());
  EXPECT_EQ(again->all.size(), 2u);
}
