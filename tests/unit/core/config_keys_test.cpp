// A reference user's file loads: entries of any type are kept, a selected unsupported
// type is one clear problem, and what no code reads is named as a warning.
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>

#include "core/config.h"
#include "core/config_keys.h"
#include "core/config_schema.h"
#include "core/default_config.h"

using xz::core::Config;
using xz::core::ConfigError;
using xz::core::ConfigSource;
using Json = nlohmann::json;

namespace {

std::string write_temp(const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("xz_config_keys_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  static int n = 0;
  auto p = dir / ("c" + std::to_string(n++) + ".yaml");
  std::ofstream(p) << text;
  return p.string();
}

// Types as this build has them for the kinds the tests select.
ConfigSource source(const std::string& yaml) {
  ConfigSource s;
  s.defaults_yaml = std::string(xz::core::default_config_yaml());
  s.path = write_temp(yaml);
  s.default_override_path = "/nonexistent/.config.yaml";
  s.known_types = {{"TTS", {"espeak", "flite", "openai"}},
                   {"LLM", {"openai", "ollama"}},
                   {"ASR", {"openai", "pocketsphinx"}},
                   {"Memory", {"nomem", "mem_local_short", "mem_report_only"}}};
  s.extra_engine_keys = {{"LLM.openai", {"url"}}, {"TTS.openai", {"private_voice"}}};
  return s;
}

std::vector<std::string> problems_of(const std::string& yaml) {
  try {
    Config::load(source(yaml));
  } catch (const ConfigError& e) {
    return e.problems();
  }
  return {};
}

bool has(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(ConfigKeys, UnselectedEntriesOfAnyTypeAreKeptAsTheyAre) {
  Config c = Config::load(source(R"(
TTS:
  EdgeTTS: {type: edge, voice: zh-CN-XiaoxiaoNeural, rate: "+0%"}
  Odd: {type: nothing_like_it, speed: "very fast", nested: {deep: [1, 2]}}
  Empty:
ASR:
  FunASR: {type: fun_local, model_dir: models/SenseVoiceSmall}
Memory:
  mem0ai: {type: mem0ai, api_key: 你的mem0ai api key}
)"));
  EXPECT_EQ(c.str("TTS.EdgeTTS.voice"), "zh-CN-XiaoxiaoNeural");
  EXPECT_EQ(c.root()["TTS"]["Odd"]["nested"]["deep"], Json::array({1, 2}));
  EXPECT_EQ(c.str("ASR.FunASR.type"), "fun_local");
}

TEST(ConfigKeys, AnEntryThatIsNotAMappingIsRefused) {
  auto problems = problems_of("TTS:\n  Broken: 3\nLLM:\n  Listed: [a, b]\n");
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "LLM.Listed: expected a mapping, got [\"a\",\"b\"]");
  EXPECT_EQ(problems[1], "TTS.Broken: expected a mapping, got 3");
}

TEST(ConfigKeys, SelectedUnsupportedTypeIsOneProblemNamingEntryTypeAndSupported) {
  auto problems = problems_of(R"(
selected_module:
  TTS: EdgeTTS
TTS:
  EdgeTTS: {type: edge, voice: zh-CN-XiaoxiaoNeural}
  DoubaoTTS: {type: doubao}
)");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0],
            "selected_module.TTS: EdgeTTS has type 'edge', which this server does not support (supported: espeak, "
            "flite, openai)");
}

TEST(ConfigKeys, ASelectedRefusedTypeSaysWhy) {
  ConfigSource s = source(R"(
selected_module:
  Memory: powermem
Memory:
  powermem: {type: powermem, enable_user_profile: true}
)");
  s.refused_types = {{"Memory.powermem", "it is a Python library the reference runs in-process"}};
  try {
    Config::load(s);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.problems().size(), 1u);
    EXPECT_EQ(e.problems()[0],
              "selected_module.Memory: powermem has type 'powermem', which this server does not support (supported: "
              "mem_local_short, mem_report_only, nomem): it is a Python library the reference runs in-process");
  }
  // Unselected, it is kept like any other entry.
  s = source("Memory:\n  powermem: {type: powermem}\n");
  s.refused_types = {{"Memory.powermem", "why"}};
  EXPECT_NO_THROW(Config::load(s));
}

TEST(ConfigKeys, KeysNoCodeReadsAreWarningsNamingThem) {
  Config c = Config::load(source(R"(
delete_audio: true
log:
  log_format: "{time}"
  log_level: INFO
server:
  websocket: ws://你的ip或者域名:端口号/xiaozhi/v1/
plugins:
  get_weather: {api_host: example.com, units: metric, default_location: 广州}
  change_role:
    roles: {teacher: "You teach."}
LLM:
  AliLLM: {type: openai, base_url: "https://x/v1", model_name: q, top_k: 50, temperature: 0.7}
  DeepSeekLLM: {type: openai, url: "https://api.deepseek.com", model_name: d}
  CozeLLM: {type: coze, bot_id: b}
  DifyLLM: {type: dify, base_url: "https://d"}
TTS:
  OpenAITTS: {type: openai, voice: onyx, output_dir: tmp/, private_voice: nova}
  EdgeTTS: {type: edge}
)"));
  const auto& w = c.warnings();
  EXPECT_TRUE(has(w, "delete_audio: not read by this server (ignored)"));
  EXPECT_TRUE(has(w, "log.log_format: not read by this server (ignored)"));
  EXPECT_TRUE(has(w, "plugins.get_weather.units: not read by this server (ignored)"));
  EXPECT_FALSE(has(w, "plugins.get_weather.api_host: not read by this server (ignored)"));  // QWeather's host
  EXPECT_TRUE(has(w, "LLM: top_k is not read by this server (ignored in AliLLM)"));
  EXPECT_TRUE(has(w, "TTS: output_dir is not read by this server (ignored in OpenAITTS)"));
  EXPECT_TRUE(has(w, "LLM: 2 entries have engine types this server does not implement; kept, not used: "
                     "CozeLLM (coze), DifyLLM (dify)"));
  EXPECT_TRUE(has(w, "TTS: 1 entry has an engine type this server does not implement; kept, not used: EdgeTTS (edge)"));
  // Keys the server reads: known settings, the defaults' keys of the type, aliases,
  // free-form mappings (the roles), the placeholder that means "auto".
  for (const char* read : {"log_level", "server.websocket", "default_location", "roles", "teacher", "base_url",
                           "model_name", "temperature", "DeepSeekLLM", "private_voice", "voice"})
    EXPECT_FALSE(has(w, read)) << read;
  EXPECT_EQ(w.size(), 7u);
}

TEST(ConfigKeys, NoOverrideFileMeansNoUnreadKeyWarnings) {
  ConfigSource s = source("");
  s.path.reset();
  EXPECT_TRUE(Config::load(s).warnings().empty());
}

TEST(ConfigKeys, SelectedEnginesStillHoldingPlaceholdersAreNamed) {
  Config c = Config::load(source(R"(
selected_module:
  LLM: ChatGLMLLM
  Intent: function_call
LLM:
  ChatGLMLLM: {type: openai, url: "https://open.bigmodel.cn/api/paas/v4/", model_name: glm-4-flash,
               api_key: 你的chat-glm web key}
  DoubaoLLM: {type: openai, base_url: "https://ark", model_name: d, api_key: 你的doubao web key}
Intent:
  function_call:
    type: function_call
    functions: [get_weather, hass_get_state]
plugins:
  home_assistant: {base_url: "http://ha:8123", api_key: 你的home assistant api访问令牌}
  web_search: {api_key: 你的秘塔搜索api_key}
)"));
  const auto& w = c.warnings();
  EXPECT_TRUE(has(w, "LLM.ChatGLMLLM.api_key: still holds the placeholder \"你的chat-glm web key\""));
  EXPECT_TRUE(has(w, "plugins.home_assistant.api_key: still holds the placeholder"));
  EXPECT_FALSE(has(w, "DoubaoLLM")) << "not selected";
  EXPECT_FALSE(has(w, "web_search")) << "not enabled";
}

TEST(ConfigKeys, PlaceholderIsTheReferencesFillInMarker) {
  EXPECT_TRUE(xz::core::is_placeholder("ws://你的ip或者域名:端口号/xiaozhi/v1/"));
  EXPECT_TRUE(xz::core::is_placeholder("你的接入点 websocket地址"));
  EXPECT_FALSE(xz::core::is_placeholder("ws://192.168.1.5:8000/xiaozhi/v1/"));
  EXPECT_FALSE(xz::core::is_placeholder(""));
}
