// Legacy IoT things from a device's descriptors and states (tools/iot_tools).
#include <gtest/gtest.h>

#include "builtin_test_util.h"
#include "protocol/device_messages.h"
#include "tools/iot_tools.h"

using Json = nlohmann::json;
using xz::test::FakeSession;
using xz::test::ToolLoop;
using xz::tools::IotThings;

namespace {

std::vector<std::string> names(const std::vector<xz::tools::ToolPtr>& tools) {
  std::vector<std::string> out;
  for (const auto& t : tools) out.push_back(t->schema().name);
  return out;
}

}  // namespace

TEST(IotThings, DescriptorsBecomeGettersAndMethods) {
  std::vector<Json> sent;
  IotThings things([&](Json commands) { sent.push_back(std::move(commands)); });
  std::string error;
  ASSERT_TRUE(things.add_descriptors(Json::parse(R"([{"name":"Lamp","description":"A lamp",
      "properties":{"power":{"description":"on or off","type":"boolean"}},
      "methods":{"TurnOn":{"description":"Turn it on","parameters":{"level":{"description":"0-100","type":"number"}}}}}])"),
                                     &error));
  EXPECT_EQ(names(things.tools()), (std::vector<std::string>{"get_lamp_power", "lamp_turnon"}));
  things.update_states(Json::parse(R"([{"name":"Lamp","state":{"power":true}}])"));
  EXPECT_EQ(things.value("Lamp", "power"), Json(true));

  ToolLoop loop;
  FakeSession session(loop.loop().get_executor());
  auto tools = things.tools();
  auto on = xz::test::call_tool(loop, *tools[1], {{"level", 80}, {"response_success", "On at {level}"}}, session);
  EXPECT_EQ(on.result, "On at 80");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0][0]["method"], "TurnOn");
}

// Found by tests/fuzz/iot_descriptors (the input is in its seed corpus as "odd"): a
// description, a type or a state name of the wrong JSON type threw nlohmann's type_error
// out of add_descriptors, tools() and update_states, costing the device's whole message.
TEST(IotThings, WrongTypesAnywhereAreIgnored) {
  const auto parsed = xz::protocol::parse_device_message(
      R"({"type":"iot","descriptors":[{"name":"X","description":7,"properties":{"p":{"type":1}},)"
      R"("methods":{"m":{"parameters":{"a":5,"b":{"type":[]}}}}},{"name":3}],"states":[{"name":"X","state":{"p":"s"}},{"name":9}]})");
  const auto& iot = std::get<xz::protocol::IotMsg>(std::get<xz::protocol::DeviceMessage>(parsed));
  IotThings things([](Json) {});
  std::string error;
  EXPECT_FALSE(things.add_descriptors(iot.descriptors, &error)) << "the entry named 3 has no name";
  EXPECT_EQ(error, "descriptors: an entry has no name");
  auto tools = things.tools();
  EXPECT_EQ(names(tools), (std::vector<std::string>{"get_x_p", "x_m"}));
  EXPECT_EQ(tools[1]->schema().parameters["properties"]["b"]["type"], "number");
  things.update_states(iot.states);
  EXPECT_EQ(things.value("X", "p"), std::nullopt) << "a string is not a number";

  // The LLM's arguments may have wrong types too.
  ToolLoop loop;
  FakeSession session(loop.loop().get_executor());
  auto r = xz::test::call_tool(loop, *tools[0], {{"response_failure", 5}}, session);
  EXPECT_EQ(r.response, "I don't know yet.");
}
