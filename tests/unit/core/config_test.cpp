#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>

#include "core/config.h"
#include "core/config_schema.h"
#include "core/default_config.h"

using xz::core::Config;
using xz::core::ConfigError;
using xz::core::ConfigSource;
using Json = nlohmann::json;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  // ctest runs each test in its own process, in parallel: keep files apart.
  auto dir = std::filesystem::temp_directory_path() /
             ("xz_config_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::ofstream(p) << text;
  return p.string();
}

ConfigSource defaults_with(std::optional<std::string> path) {
  ConfigSource s;
  s.defaults_yaml = std::string(xz::core::default_config_yaml());
  s.path = std::move(path);
  s.default_override_path = "/nonexistent/.config.yaml";
  return s;
}

std::vector<std::string> load_errors(const std::string& yaml) {
  try {
    Config::load(defaults_with(write_temp("e.yaml", yaml)));
  } catch (const ConfigError& e) {
    return e.problems();
  }
  return {};
}

}  // namespace

TEST(Config, DefaultsLoadAndValidate) {
  Config c = Config::load(defaults_with(std::nullopt));
  EXPECT_EQ(c.get<int>("server.port", 0), 8000);
  EXPECT_EQ(c.get<int>("server.http_port", 0), 8003);
  EXPECT_EQ(c.get<int>("xiaozhi.audio_params.sample_rate", 0), 24000);
  EXPECT_EQ(c.get<int>("close_connection_no_voice_time", 0), 120);
  EXPECT_FALSE(c.get<bool>("server.auth.enabled", true));
  EXPECT_TRUE(c.override_path().empty());
  for (const char* kind : {"VAD", "ASR", "LLM", "TTS"})
    EXPECT_FALSE(xz::core::selected_provider_type(c.root(), kind).empty()) << kind;
}

TEST(Config, YamlScalarsAreTyped) {
  Json j = Config::parse_yaml("a: 1\nb: 1.5\nc: true\nd: \"1\"\ne: ~\nf: text\ng: '0x10'\nh: 0x10\n", "t");
  EXPECT_TRUE(j["a"].is_number_integer());
  EXPECT_TRUE(j["b"].is_number_float());
  EXPECT_TRUE(j["c"].is_boolean());
  EXPECT_TRUE(j["d"].is_string()) << "quoted scalars stay strings";
  EXPECT_TRUE(j["e"].is_null());
  EXPECT_EQ(j["f"], "text");
  EXPECT_EQ(j["g"], "0x10");
  EXPECT_EQ(j["h"], 16);
}

TEST(Config, DeepMergeMergesMapsAndReplacesScalarsAndLists) {
  Json base = {{"a", {{"x", 1}, {"y", 2}}}, {"list", {1, 2, 3}}, {"s", "old"}};
  Json over = {{"a", {{"y", 20}, {"z", 30}}}, {"list", {9}}, {"s", "new"}};
  xz::core::deep_merge(base, over);
  EXPECT_EQ(base["a"]["x"], 1);
  EXPECT_EQ(base["a"]["y"], 20);
  EXPECT_EQ(base["a"]["z"], 30);
  EXPECT_EQ(base["list"], Json({9}));
  EXPECT_EQ(base["s"], "new");
}

TEST(Config, OverrideFileIsMergedOverDefaults) {
  auto path = write_temp("ok.yaml", "server:\n  port: 9100\nLLM:\n  OpenAILLM:\n    model_name: local-model\n");
  Config c = Config::load(defaults_with(path));
  EXPECT_EQ(c.get<int>("server.port", 0), 9100);
  EXPECT_EQ(c.get<int>("server.http_port", 0), 8003) << "sibling keys survive the merge";
  EXPECT_EQ(c.str("LLM.OpenAILLM.model_name"), "local-model");
  EXPECT_EQ(c.str("LLM.OpenAILLM.type"), "openai");
  EXPECT_EQ(c.override_path(), path);
}

TEST(Config, EnvironmentVariablesExpand) {
  setenv("XZ_TEST_KEY", "sk-secret", 1);
  unsetenv("XZ_TEST_MISSING");
  auto path = write_temp("env.yaml",
                         "LLM:\n  OpenAILLM:\n    api_key: ${XZ_TEST_KEY}\n"
                         "    base_url: ${XZ_TEST_MISSING:-http://localhost:1234/v1}\n"
                         "    model_name: m-${XZ_TEST_MISSING}\n");
  Config c = Config::load(defaults_with(path));
  EXPECT_EQ(c.str("LLM.OpenAILLM.api_key"), "sk-secret");
  EXPECT_EQ(c.str("LLM.OpenAILLM.base_url"), "http://localhost:1234/v1");
  EXPECT_EQ(c.str("LLM.OpenAILLM.model_name"), "m-");
  ASSERT_EQ(c.warnings().size(), 1u);
  EXPECT_NE(c.warnings()[0].find("LLM.OpenAILLM.model_name"), std::string::npos);
  EXPECT_NE(c.warnings()[0].find("XZ_TEST_MISSING"), std::string::npos);
}

TEST(Config, WrongTypeNamesTheKeyPath) {
  auto errs = load_errors("server:\n  port: \"eight thousand\"\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].rfind("server.port:", 0), 0u) << errs[0];
}

TEST(Config, RangeAndChoiceViolationsAreReported) {
  auto errs = load_errors(
      "server:\n  http_port: 70000\nxiaozhi:\n  audio_params:\n    sample_rate: 22050\n"
      "server_extra: 1\nlog:\n  log_level: chatty\n");
  ASSERT_EQ(errs.size(), 3u);
  EXPECT_NE(errs[0].find("server.http_port"), std::string::npos);
  EXPECT_NE(errs[1].find("log.log_level"), std::string::npos);
  EXPECT_NE(errs[2].find("xiaozhi.audio_params.sample_rate"), std::string::npos);
}

TEST(Config, SelectedModuleMustNameAnEntry) {
  // (The defaults have entries under the reference's names, EdgeTTS among them.)
  auto errs = load_errors("selected_module:\n  TTS: NoSuchTTS\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("selected_module.TTS"), std::string::npos);
  EXPECT_NE(errs[0].find("NoSuchTTS"), std::string::npos);
}

TEST(Config, UnsupportedProviderTypeIsNamed) {
  Config c = Config::load(defaults_with(std::nullopt));
  Json root = c.root();
  root["TTS"]["EdgeTTS"] = {{"type", "edge"}};
  root["selected_module"]["TTS"] = "EdgeTTS";
  auto errs = xz::core::validate_config(root, {{"TTS", {"flite", "espeak", "openai"}}});
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0],
            "selected_module.TTS: EdgeTTS has type 'edge', which this server does not support (supported: espeak, "
            "flite, openai)");
}

TEST(Config, InvalidYamlIsAClearErrorNotACrash) {
  auto errs = load_errors("server: [unclosed\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("invalid YAML"), std::string::npos);
  EXPECT_NE(errs[0].find("line"), std::string::npos);
}

TEST(Config, TopLevelListIsRejected) {
  auto errs = load_errors("- a\n- b\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("mapping"), std::string::npos);
}

TEST(Config, EmptyOverrideFileMeansDefaults) {
  Config c = Config::load(defaults_with(write_temp("empty.yaml", "")));
  EXPECT_EQ(c.get<int>("server.port", 0), 8000);
}

TEST(Config, MissingExplicitFileIsAnError) {
  try {
    Config::load(defaults_with("/nonexistent/xz.yaml"));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos);
  }
}

TEST(Config, UnreadableFileIsAnError) {
  // A directory cannot be read as a file, even by root.
  auto dir = std::filesystem::path(write_temp("x", "")).parent_path() / "a_directory.yaml";
  std::filesystem::create_directories(dir);
  try {
    Config::load(defaults_with(dir.string()));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
}

TEST(Config, CommandLineOverridesApplyLastAndAreValidated) {
  auto s = defaults_with(std::nullopt);
  s.overrides = {{"server.port", 9300}, {"log.log_level", "debug"}};
  Config c = Config::load(s);
  EXPECT_EQ(c.get<int>("server.port", 0), 9300);
  EXPECT_EQ(c.str("log.log_level"), "debug");
  s.overrides = {{"server.port", 0}};
  EXPECT_THROW(Config::load(s), ConfigError);
}

TEST(Config, SecretsAreMasked) {
  Config c(Json{{"LLM", {{"A", {{"api_key", "sk-1"}, {"max_tokens", 500}, {"model_name", "m"}}}}},
                {"server", {{"auth_key", "k"}, {"admin_token", ""}}}});
  Json m = c.masked();
  EXPECT_EQ(m["LLM"]["A"]["api_key"], "***");
  EXPECT_EQ(m["LLM"]["A"]["max_tokens"], 500);
  EXPECT_EQ(m["LLM"]["A"]["model_name"], "m");
  EXPECT_EQ(m["server"]["auth_key"], "***");
  EXPECT_EQ(m["server"]["admin_token"], "") << "empty values show that nothing is set";
}

TEST(Config, CredentialsInAUrlQueryAreMasked) {
  Config c(Json{{"mcp_endpoint", "wss://api.xiaozhi.me/mcp/?token=abc.def&lang=en"},
                {"ASR", {{"X", {{"url", "https://h/v1?key=k1&model=m&access_token="}}}}},
                {"prompt", "What is 2+2? Answer=4"}});
  Json m = c.masked();
  EXPECT_EQ(m["mcp_endpoint"], "wss://api.xiaozhi.me/mcp/?token=***&lang=en");
  EXPECT_EQ(m["ASR"]["X"]["url"], "https://h/v1?key=***&model=m&access_token=") << "an empty value shows it is unset";
  EXPECT_EQ(m["prompt"], "What is 2+2? Answer=4") << "not a URL";
}

TEST(Config, FindAndTypedGet) {
  Config c(Json{{"a", {{"b", {{"c", 5}}}}}, {"s", "x"}});
  EXPECT_EQ(c.get<int>("a.b.c", 0), 5);
  EXPECT_EQ(c.get<int>("a.b.missing", 7), 7);
  EXPECT_EQ(c.get<int>("s", 3), 3) << "wrong type falls back";
  EXPECT_EQ(c.find("a.b.c.d"), nullptr);
}
