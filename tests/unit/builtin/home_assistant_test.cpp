// hass_get_state, hass_set_state and hass_play_music against a local fake of the
// Home Assistant REST API.
#include <gtest/gtest.h>

#include "builtin_test_util.h"
#include "support/fake_http_apis.h"
#include "tools/builtin/hass_get_state.h"
#include "tools/builtin/hass_play_music.h"
#include "tools/builtin/hass_set_state.h"

using namespace xz::tools::builtin;
using namespace std::chrono_literals;
using nlohmann::json;
using xz::test::call_tool;
using xz::test::FakeHttpApis;
using xz::test::FakeSession;
using xz::test::ToolLoop;
using xz::tools::Action;

namespace {

struct HassFixture : ::testing::Test {
  HassFixture() {
    fake.set_entity({{"entity_id", "light.kitchen"},
                     {"state", "off"},
                     {"attributes", {{"friendly_name", "Kitchen Light"}, {"brightness", nullptr}}}});
    fake.set_entity({{"entity_id", "media_player.living_room"},
                     {"state", "idle"},
                     {"attributes", {{"friendly_name", "Living Room Speaker"}, {"volume_level", 0.3}}}});
    fake.set_entity({{"entity_id", "cover.garage"}, {"state", "closed"}, {"attributes", json::object()}});
    HomeAssistantSettings s;
    s.base_url = fake.url();
    s.api_key = "ha-test-token";
    s.devices = {"Kitchen,Ceiling light,light.kitchen", "Living room,Speaker,media_player.living_room"};
    s.timeout = 2s;
    ha = std::make_shared<HomeAssistant>(s, http);
  }
  FakeHttpApis fake;
  ToolLoop loop;
  std::shared_ptr<xz::net::HttpClient> http = std::make_shared<xz::net::HttpClient>();
  std::shared_ptr<HomeAssistant> ha;
  FakeSession session{loop.loop().get_executor()};
};

}  // namespace

TEST_F(HassFixture, SchemasListTheDevices) {
  HassGetState get(ha);
  HassSetState set(ha);
  HassPlayMusic play(ha);
  for (const xz::tools::Tool* t : std::initializer_list<const xz::tools::Tool*>{&get, &set, &play})
    EXPECT_NE(t->schema().description.find("Kitchen,Ceiling light,light.kitchen"), std::string::npos)
        << t->schema().name;
  EXPECT_EQ(set.schema().parameters["properties"]["state"]["required"][0], "type");
}

TEST_F(HassFixture, SetThenGetState) {
  HassSetState set(ha);
  HassGetState get(ha);
  auto on = call_tool(loop, set, {{"entity_id", "light.kitchen"}, {"state", {{"type", "brightness_value"}, {"input", 50}}}},
                      session);
  ASSERT_EQ(on.action, Action::reqllm) << on.result;
  EXPECT_NE(on.result.find("Brightness set to 50%"), std::string::npos) << on.result;
  auto call = fake.last_call();
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.path, "/api/services/light/turn_on");
  EXPECT_EQ(call.headers["authorization"], "Bearer ha-test-token");
  EXPECT_EQ(call.json, (json{{"entity_id", "light.kitchen"}, {"brightness_pct", 50}}));

  auto state = call_tool(loop, get, {{"entity_id", "light.kitchen"}}, session);
  ASSERT_EQ(state.action, Action::reqllm);
  EXPECT_NE(state.result.find("Device light.kitchen (Kitchen Light): state on"), std::string::npos) << state.result;
  EXPECT_NE(state.result.find("brightness 128 of 255 (50%)"), std::string::npos) << state.result;
  EXPECT_EQ(fake.last_call().path, "/api/states/light.kitchen");

  call_tool(loop, set, {{"entity_id", "light.kitchen"}, {"state", {{"type", "set_color"}, {"rgb_color", {255, 0, 64}}}}},
            session);
  EXPECT_EQ(fake.entity("light.kitchen")["attributes"]["rgb_color"], (json{255, 0, 64}));
  call_tool(loop, set, {{"entity_id", "light.kitchen"}, {"state", {{"type", "turn_off"}}}}, session);
  EXPECT_EQ(fake.entity("light.kitchen")["state"], "off");
  call_tool(loop, set, {{"entity_id", "light.kitchen"}, {"state", {{"type", "toggle"}}}}, session);
  EXPECT_EQ(fake.entity("light.kitchen")["state"], "on");
}

TEST_F(HassFixture, MediaPlayerVolumeMuteAndPause) {
  HassSetState set(ha);
  auto vol = call_tool(loop, set, {{"entity_id", "media_player.living_room"}, {"state", {{"type", "volume_set"}, {"input", "65"}}}},
                       session);
  ASSERT_EQ(vol.action, Action::reqllm) << vol.result;
  EXPECT_EQ(fake.last_call().path, "/api/services/media_player/volume_set");
  EXPECT_DOUBLE_EQ(fake.entity("media_player.living_room")["attributes"]["volume_level"].get<double>(), 0.65);

  call_tool(loop, set, {{"entity_id", "media_player.living_room"}, {"state", {{"type", "volume_mute"}, {"is_muted", "true"}}}},
            session);
  EXPECT_EQ(fake.last_call().json["is_volume_muted"], true);
  EXPECT_EQ(fake.entity("media_player.living_room")["attributes"]["is_volume_muted"], true);

  call_tool(loop, set, {{"entity_id", "media_player.living_room"}, {"state", {{"type", "continue"}}}}, session);
  EXPECT_EQ(fake.last_call().path, "/api/services/media_player/media_play");
  call_tool(loop, set, {{"entity_id", "media_player.living_room"}, {"state", {{"type", "pause"}}}}, session);
  EXPECT_EQ(fake.last_call().path, "/api/services/media_player/media_pause");
  EXPECT_EQ(fake.entity("media_player.living_room")["state"], "paused");

  call_tool(loop, set, {{"entity_id", "cover.garage"}, {"state", {{"type", "turn_on"}}}}, session);
  EXPECT_EQ(fake.last_call().path, "/api/services/cover/open_cover");
  EXPECT_EQ(fake.entity("cover.garage")["state"], "open");
}

TEST_F(HassFixture, BadArgumentsGoBackToTheLlmWithoutARequest) {
  HassSetState set(ha);
  HassGetState get(ha);
  auto no_input = call_tool(loop, set, {{"entity_id", "light.kitchen"}, {"state", {{"type", "brightness_value"}}}}, session);
  EXPECT_EQ(no_input.action, Action::reqllm);
  EXPECT_NE(no_input.result.find("state.input"), std::string::npos);
  auto bad_type = call_tool(loop, set, {{"entity_id", "light.kitchen"}, {"state", {{"type", "explode"}}}}, session);
  EXPECT_NE(bad_type.result.find("'explode' is not supported"), std::string::npos);
  auto bad_id = call_tool(loop, get, {{"entity_id", "../../api/config"}}, session);
  EXPECT_EQ(bad_id.action, Action::reqllm);
  EXPECT_NE(bad_id.result.find("not a Home Assistant entity_id"), std::string::npos);
  EXPECT_NE(bad_id.result.find("light.kitchen"), std::string::npos);  // the device list helps the LLM
  EXPECT_EQ(fake.call_count(), 0u);
}

TEST_F(HassFixture, UnknownEntityAndServiceAreReportedToTheLlm) {
  HassGetState get(ha);
  auto missing = call_tool(loop, get, {{"entity_id", "light.attic"}}, session);
  EXPECT_EQ(missing.action, Action::reqllm);
  EXPECT_NE(missing.result.find("HTTP 404"), std::string::npos);
  EXPECT_NE(missing.result.find("Entity not found"), std::string::npos) << missing.result;

  HassSetState set(ha);
  auto no_service = call_tool(loop, set, {{"entity_id", "sensor.temperature"}, {"state", {{"type", "turn_on"}}}}, session);
  EXPECT_EQ(no_service.action, Action::reqllm);
  EXPECT_NE(no_service.result.find("Service sensor.turn_on not found"), std::string::npos) << no_service.result;
}

TEST_F(HassFixture, RejectedTokenAndOutagesAreErrors) {
  fake.set_hass_token("another-token");
  HassGetState get(ha);
  auto denied = call_tool(loop, get, {{"entity_id", "light.kitchen"}}, session);
  EXPECT_EQ(denied.action, Action::error);
  EXPECT_NE(denied.result.find("HTTP 401"), std::string::npos);
  EXPECT_FALSE(denied.response.empty());

  fake.set_hass_token("ha-test-token");
  fake.fail_next(502, "Bad Gateway");
  auto outage = call_tool(loop, get, {{"entity_id", "light.kitchen"}}, session);
  EXPECT_EQ(outage.action, Action::error);

  HomeAssistantSettings nowhere = ha->settings();
  nowhere.base_url = "http://127.0.0.1:1";
  HassGetState unreachable(std::make_shared<HomeAssistant>(nowhere, http));
  auto down = call_tool(loop, unreachable, {{"entity_id", "light.kitchen"}}, session);
  EXPECT_EQ(down.action, Action::error);
  EXPECT_EQ(down.response, std::string(kHomeAssistantUnreachable));
}

TEST_F(HassFixture, StatesOfTheWrongShapeAreDescribedNotThrown) {
  HassGetState get(ha);
  for (const char* body : {R"({"entity_id":5,"state":{"x":1},"attributes":[1,2],"brightness":"a"})",
                           R"({"entity_id":"light.kitchen","attributes":{"friendly_name":7,"brightness":"high","volume_level":[0.5]}})",
                           R"([1,2,3])", R"("on")"}) {
    fake.fail_next(200, body);
    auto r = call_tool(loop, get, {{"entity_id", "light.kitchen"}}, session);
    EXPECT_EQ(r.action, Action::reqllm) << body << " -> " << r.result << r.response;
    EXPECT_FALSE(r.result.empty()) << body;
  }
}

TEST_F(HassFixture, PlayMusicThroughMusicAssistantIsRecorded) {
  HassPlayMusic play(ha);
  auto r = call_tool(loop, play, {{"entity_id", "media_player.living_room"}, {"media_content_id", "Abbey Road"}}, session);
  EXPECT_EQ(r.action, Action::record);
  EXPECT_NE(r.result.find("Abbey Road"), std::string::npos);
  auto call = fake.last_call();
  EXPECT_EQ(call.path, "/api/services/music_assistant/play_media");
  EXPECT_EQ(call.json, (json{{"entity_id", "media_player.living_room"}, {"media_id", "Abbey Road"}}));
  EXPECT_EQ(fake.entity("media_player.living_room")["state"], "playing");
  EXPECT_EQ(fake.entity("media_player.living_room")["attributes"]["media_title"], "Abbey Road");

  auto not_a_player = call_tool(loop, play, {{"entity_id", "light.kitchen"}, {"media_content_id", "x"}}, session);
  EXPECT_EQ(not_a_player.action, Action::reqllm);
  EXPECT_EQ(fake.call_count(), 1u);
}

TEST(HomeAssistantSettings, NeedsUrlAndTokenAndReadsDevices) {
  nlohmann::json root = nlohmann::json::object();
  std::vector<std::string> problems;
  HomeAssistantSettings::from(xz::core::Config(root), problems);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].rfind("plugins.home_assistant.base_url:", 0), 0u) << problems[0];
  EXPECT_EQ(problems[1].rfind("plugins.home_assistant.api_key:", 0), 0u) << problems[1];

  problems.clear();
  xz::core::set_path(root, "plugins.home_assistant",
                     {{"base_url", "http://ha.local:8123/"},
                      {"api_key", "abc"},
                      {"devices", "客厅,玩具灯,switch.toy_light\n卧室,台灯,light.desk\n"}});
  auto s = HomeAssistantSettings::from(xz::core::Config(root), problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(s.base_url, "http://ha.local:8123");
  ASSERT_EQ(s.devices.size(), 2u);
  EXPECT_EQ(s.devices[1], "卧室,台灯,light.desk");
}

TEST(HomeAssistantPlan, EntityIdsAndServiceMapping) {
  EXPECT_TRUE(valid_entity_id("light.kitchen_2"));
  EXPECT_FALSE(valid_entity_id("light"));
  EXPECT_FALSE(valid_entity_id("Light.Kitchen"));
  EXPECT_FALSE(valid_entity_id("light.kitchen/../x"));
  EXPECT_FALSE(valid_entity_id(".kitchen"));
  auto vac = plan_service_call("vacuum.robot", {{"type", "turn_off"}});
  ASSERT_TRUE(vac.call);
  EXPECT_EQ(vac.call->service, "stop");
  auto frac = plan_service_call("media_player.x", {{"type", "volume_set"}, {"input", 0.4}});
  EXPECT_DOUBLE_EQ(frac.call->data["volume_level"].get<double>(), 0.4);
  auto up = plan_service_call("light.x", {{"type", "brightness_up"}});
  EXPECT_EQ(up.call->data["brightness_step_pct"], 10);
  auto kelvin = plan_service_call("light.x", {{"type", "set_kelvin"}, {"input", 2700}});
  EXPECT_EQ(kelvin.call->data["color_temp_kelvin"], 2700);
  EXPECT_FALSE(plan_service_call("light.x", {{"type", "continue"}}).call);
  EXPECT_FALSE(plan_service_call("light.x", {{"type", "set_color"}, {"rgb_color", {1, 2}}}).call);
  EXPECT_FALSE(plan_service_call("light.x", json::object()).call);
}
