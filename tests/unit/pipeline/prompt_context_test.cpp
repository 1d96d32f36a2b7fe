// The reference's enhanced system prompt: which template file prompt_template names (and
// the clear errors for a missing or broken one), and the facts that fill it — city from
// the device's IP, that city's weather, the context providers' data — gathered against
// local fakes speaking pconline's, Open-Meteo's and a provider's real shapes, each bounded.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/async.h"
#include "core/config.h"
#include "net/http_client.h"
#include "pipeline/prompt_context.h"
#include "support/fake_http_apis.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using namespace xz::pipeline;
using nlohmann::json;
using xz::core::Task;
using xz::test::ClientLoop;
using xz::test::FakeHttpApis;

namespace {

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("xz-prompt-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories((path / name).parent_path());
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
  static inline int counter = 0;
};

xz::core::Config config(json root) { return xz::core::Config(std::move(root)); }

std::string load_error(const xz::core::Config& cfg) {
  try {
    load_prompt_template(cfg);
  } catch (const xz::core::ConfigError& e) {
    return e.problems().empty() ? "" : e.problems().front();
  }
  return "";
}

}  // namespace

TEST(PromptTemplateFile, ACopyInTheDataDirectoryIsUsed) {
  TempDir dir;
  dir.write("data/agent-base-prompt.txt", "MINE: {{base_prompt}}\n");
  auto t = load_prompt_template(config({{"prompt_template", "agent-base-prompt.txt"},
                                        {"log", {{"data_dir", (dir.path / "data").string()}}}}));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->render({{"base_prompt", std::string("hi")}}), "MINE: hi");
}

TEST(PromptTemplateFile, TheReferenceNameFallsBackToTheBuiltInCopy) {
  TempDir dir;
  auto t = load_prompt_template(config({{"prompt_template", "agent-base-prompt.txt"},
                                        {"log", {{"data_dir", (dir.path / "data").string()}}}}));
  ASSERT_TRUE(t);
  EXPECT_NE(t->render({{"base_prompt", std::string("hi")}}).find("<identity>\nhi\n</identity>"), std::string::npos);
}

TEST(PromptTemplateFile, AbsolutePathsAndNoTemplate) {
  TempDir dir;
  const std::string path = dir.write("elsewhere/my.txt", "[{{ language }}]");
  auto t = load_prompt_template(config({{"prompt_template", path}}));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->render({{"language", std::string("中文")}}), "[中文]");
  EXPECT_EQ(load_prompt_template(config({{"prompt_template", ""}})), nullptr);
  EXPECT_EQ(load_prompt_template(config(json::object())), nullptr);
}

TEST(PromptTemplateFile, MissingBrokenOrHugeFilesAreConfigurationErrors) {
  TempDir dir;
  const json data = {{"data_dir", (dir.path / "data").string()}};
  EXPECT_NE(load_error(config({{"prompt_template", "my-prompt.txt"}, {"log", data}}))
                .find("prompt_template: \"my-prompt.txt\" not found (looked for "),
            std::string::npos);
  EXPECT_NE(load_error(config({{"prompt_template", "sub/agent-base-prompt.txt"}, {"log", data}})).find("not found"),
            std::string::npos)
      << "only the bare reference name stands for the built-in copy";
  dir.write("data/broken.txt", "<identity>\n{{base_prompt}}\n{% if weather_info %}\n");
  const std::string broken = load_error(config({{"prompt_template", "broken.txt"}, {"log", data}}));
  EXPECT_NE(broken.find("prompt_template: "), std::string::npos) << broken;
  EXPECT_NE(broken.find("broken.txt: line 3: '{% if %}' without '{% endif %}'"), std::string::npos) << broken;
  dir.write("data/huge.txt", std::string(300 * 1024, 'x'));
  EXPECT_NE(load_error(config({{"prompt_template", "huge.txt"}, {"log", data}})).find("at most 262144 are read"),
            std::string::npos);
}

TEST(PromptContextSettings, ContextProvidersAreReadAsTheReferenceWritesThem) {
  auto s = PromptContextSettings::from_config(config(
      {{"context_providers",
        json::array({{{"url", ""}, {"headers", {{"Authorization", ""}}}},
                     {{"url", "http://ctx.example/a"}, {"headers", {{"Authorization", "Bearer t"}, {"X-N", 7}}}},
                     {{"url", "https://ctx.example/b"}}})}}));
  ASSERT_EQ(s.providers.size(), 2u) << "the reference's empty entry is left out";
  EXPECT_EQ(s.providers[0].url, "http://ctx.example/a");
  EXPECT_EQ(s.providers[0].headers,
            (xz::net::HttpHeaders{{"Authorization", "Bearer t"}, {"X-N", "7"}}));
  EXPECT_TRUE(s.providers[1].headers.empty());
  try {
    PromptContextSettings::from_config(
        config({{"context_providers", json::array({"http://x", {{"url", "ftp://x"}}, {{"url", "http://y"}, {"headers", "no"}}})},
                {"prompt_context", {{"ip_location_url", "whois"}}}}));
    FAIL() << "expected a ConfigError";
  } catch (const xz::core::ConfigError& e) {
    const auto& p = e.problems();
    ASSERT_EQ(p.size(), 4u);
    EXPECT_EQ(p[0], "prompt_context.ip_location_url: expected an http(s) URL or \"\", got \"whois\"");
    EXPECT_EQ(p[1], "context_providers[0]: expected a map with url and headers");
    EXPECT_EQ(p[2], "context_providers[1].url: expected an http(s) URL, got \"ftp://x\"");
    EXPECT_EQ(p[3], "context_providers[2].headers: expected a map of header names to values");
  }
}

namespace {

struct GatherFixture : ::testing::Test {
  FakeHttpApis fake;
  ClientLoop loop;
  std::shared_ptr<xz::net::HttpClient> http = std::make_shared<xz::net::HttpClient>();
  std::shared_ptr<const PromptTemplate> tmpl = std::make_shared<const PromptTemplate>(PromptTemplate::parse(
      "{{base_prompt}}|{{today_date}} {{today_weekday}} {{lunar_date}} {{current_time}}|{{local_address}}|"
      "{{weather_info}}|{{dynamic_context}}|{{device_id}}"));

  GatherFixture() {
    fake.add_ip_location("113.87.1.1", "广东省", "深圳市");
    fake.add_place({"深圳市", "China", "Guangdong", 22.54554, 114.0683, "Asia/Shanghai"});
    fake.set_page("/pages/device", R"({"code":0,"msg":"ok","data":{"电量":"80%","mode":"night"}})", "application/json");
    fake.set_page("/pages/todo", R"({"code":0,"data":["Water the plants"]})", "application/json");
  }
  xz::core::Config weather_config() {
    return config({{"plugins",
                    {{"get_weather",
                      {{"geocoding_url", fake.url() + "/v1/search"}, {"forecast_url", fake.url() + "/v1/forecast"}}}}}});
  }
  PromptContextSettings settings(std::vector<std::string> paths) {
    PromptContextSettings s;
    s.location.url = fake.url() + "/ipJson.jsp?json=true&ip={ip}";
    for (auto& p : paths) s.providers.push_back({fake.url() + p, {{"Authorization", "Bearer ctx-key"}}});
    return s;
  }
  PromptFacts gather(PromptContext& pc, PromptSubject subject) {
    return loop.run([&]() -> Task<PromptFacts> { co_return co_await pc.gather(subject, xz::core::SessionLog()); }());
  }
  std::vector<xz::test::FakeHttpCall> calls_to(const std::string& path) {
    std::vector<xz::test::FakeHttpCall> out;
    for (auto& c : fake.calls())
      if (c.path == path) out.push_back(c);
    return out;
  }
};

}  // namespace

TEST_F(GatherFixture, CityWeatherAndProvidersFillTheTemplate) {
  auto pc = make_prompt_context(weather_config(), settings({"/pages/device", "/pages/missing", "/pages/todo"}), tmpl, http);
  ASSERT_TRUE(pc);
  PromptFacts f = gather(*pc, {"AA:BB:CC:DD:EE:FF", "client-1", "113.87.1.1", std::nullopt});
  EXPECT_EQ(f.local_address, "深圳市");
  EXPECT_NE(f.weather_info.find("Weather for 深圳市"), std::string::npos) << f.weather_info;
  EXPECT_EQ(f.dynamic_context, "- **电量：** 80%\n- **mode：** night\n- Water the plants")
      << "the provider that answers 404 is skipped, the others keep their order";

  for (const char* path : {"/pages/device", "/pages/todo", "/pages/missing"}) {
    auto calls = calls_to(path);
    ASSERT_EQ(calls.size(), 1u) << path;
    EXPECT_EQ(calls[0].method, "GET");
    EXPECT_EQ(calls[0].headers["device-id"], "AA:BB:CC:DD:EE:FF");
    EXPECT_EQ(calls[0].headers["client-id"], "client-1");
    EXPECT_EQ(calls[0].headers["authorization"], "Bearer ctx-key");
  }

  PromptInputs in;
  in.base_prompt = "BASE";
  in.device_id = "AA:BB:CC:DD:EE:FF";
  in.now = std::chrono::sys_days(std::chrono::year{2024} / 2 / 10) + 1h + 5min;  // 09:05 at UTC+8
  in.utc_offset_hours = 8;
  EXPECT_EQ(pc->render(f, in),
            "BASE|2024-02-10 星期六 甲辰年正月初一 09:05|深圳市|" + f.weather_info +
                "|- **电量：** 80%\n- **mode：** night\n- Water the plants|AA:BB:CC:DD:EE:FF");
}

TEST_F(GatherFixture, KnownFactsNeedNoRequest) {
  auto pc = make_prompt_context(weather_config(), settings({"/pages/device"}), tmpl, http);
  PromptSubject device{"dev-1", "", "113.87.1.1", std::nullopt};
  EXPECT_EQ(pc->known_facts(device).local_address, "") << "nothing gathered yet";
  const PromptFacts gathered = gather(*pc, device);
  const auto requests = fake.call_count();
  // The same device's next connection starts from what it had.
  auto again = pc->known_facts(device);
  EXPECT_EQ(again.dynamic_context, gathered.dynamic_context);
  EXPECT_EQ(again.weather_info, gathered.weather_info);
  // Another device behind the same address: its city and weather are cached, its context is its own.
  auto other = pc->known_facts({"dev-2", "", "113.87.1.1", std::nullopt});
  EXPECT_EQ(other.local_address, "深圳市");
  EXPECT_EQ(other.weather_info, gathered.weather_info);
  EXPECT_EQ(other.dynamic_context, "");
  gather(*pc, {"dev-2", "", "113.87.1.1", std::nullopt});
  EXPECT_EQ(fake.call_count(), requests + 1) << "only its context provider is asked; city and weather are cached";
}

TEST_F(GatherFixture, PrivateAddressesHaveNoCityAndNoWeather) {
  auto pc = make_prompt_context(weather_config(), settings({}), tmpl, http);
  auto f = gather(*pc, {"dev", "", "192.168.1.9", std::nullopt});
  EXPECT_EQ(f.local_address, "");
  EXPECT_EQ(f.weather_info, "");
  EXPECT_EQ(fake.call_count(), 0u);
}

TEST_F(GatherFixture, ASlowProviderIsLeftOutAfterItsTimeout) {
  auto s = settings({"/pages/device"});
  s.context.timeout = 300ms;
  auto pc = make_prompt_context(weather_config(), s, tmpl, http);
  fake.delay_next(3s);
  const auto t0 = std::chrono::steady_clock::now();
  auto f = gather(*pc, {"dev", "", "127.0.0.1", std::nullopt});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(f.dynamic_context, "");
  // It answers in time the next time.
  EXPECT_EQ(gather(*pc, {"dev", "", "127.0.0.1", std::nullopt}).dynamic_context, "- **电量：** 80%\n- **mode：** night");
}

TEST_F(GatherFixture, AnOversizedAnswerIsLeftOut) {
  fake.set_page("/pages/big", R"({"code":0,"data":[")" + std::string(100 * 1024, 'x') + R"("]})", "application/json");
  auto s = settings({"/pages/big", "/pages/todo"});
  s.context.max_body_bytes = 64 * 1024;
  auto pc = make_prompt_context(weather_config(), s, tmpl, http);
  EXPECT_EQ(gather(*pc, {"dev", "", "127.0.0.1", std::nullopt}).dynamic_context, "- Water the plants");
}

TEST_F(GatherFixture, TheManagersPerDeviceProvidersReplaceTheConfiguredOnes) {
  auto pc = make_prompt_context(weather_config(), settings({"/pages/device"}), tmpl, http);
  std::vector<ContextProviderSpec> own{{fake.url() + "/pages/todo", {}}};
  EXPECT_EQ(gather(*pc, {"dev", "", "127.0.0.1", own}).dynamic_context, "- Water the plants");
  EXPECT_TRUE(calls_to("/pages/device").empty());
}
