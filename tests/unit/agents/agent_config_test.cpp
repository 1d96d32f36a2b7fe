// What a stored agent makes of the configuration, and what a save is refused for.
#include <gtest/gtest.h>

#include "agents/agent_config.h"

using nlohmann::json;
using xz::agents::agent_overlay;
using xz::agents::check_agent;

namespace {

json base() {
  return json::parse(R"({
    "prompt": "file prompt", "language": "English", "replacement_words": ["a|b"],
    "wakeup_words_response": "Hi", "wakeup_words_responses": ["Yes?"],
    "selected_module": {"LLM": "L1", "TTS": "T1", "Intent": "function_call"},
    "LLM": {"L1": {"type": "openai"}, "L2": {"type": "openai", "model": "m2"}},
    "TTS": {"T1": {"type": "flite", "voice": "slt"}, "T2": {"type": "flite"}},
    "Intent": {"function_call": {"type": "function_call", "functions": ["get_weather"]}},
    "plugins": {"get_weather": {"api_key": "k", "default_location": "Paris"}}
  })");
}

}  // namespace

TEST(StoredAgentConfig, TheAgentsChoicesOverlayTheFileAndEmptyOnesKeepIt) {
  xz::store::AgentRecord a;
  a.engines = {{"llm", "L2"}, {"tts", "T2"}};
  a.voice = "kal";
  a.prompt = "agent prompt";
  a.greeting = "Ahoy";
  a.functions = {{"get_weather", {{"default_location", "Oslo"}}}, {"get_time", nullptr}};
  a.replacement_words = {"c|d"};
  json cfg = agent_overlay(base(), a);
  EXPECT_EQ(cfg["selected_module"]["LLM"], "L2");
  EXPECT_EQ(cfg["selected_module"]["TTS"], "T2");
  EXPECT_EQ(cfg["TTS"]["T2"]["voice"], "kal");
  EXPECT_EQ(cfg["TTS"]["T1"]["voice"], "slt") << "only the selected entry gets the voice";
  EXPECT_EQ(cfg["prompt"], "agent prompt");
  EXPECT_EQ(cfg["language"], "English");
  EXPECT_EQ(cfg["wakeup_words_response"], "Ahoy");
  EXPECT_TRUE(cfg["wakeup_words_responses"].empty());
  EXPECT_EQ(cfg["Intent"]["function_call"]["functions"], json::array({"get_time", "get_weather"}));
  EXPECT_EQ(cfg["plugins"]["get_weather"]["default_location"], "Oslo");
  EXPECT_EQ(cfg["plugins"]["get_weather"]["api_key"], "k") << "parameters merge over the file's";
  EXPECT_EQ(cfg["replacement_words"], json::array({"a|b", "c|d"}));

  EXPECT_EQ(agent_overlay(base(), xz::store::AgentRecord{}), [] {
    json b = base();
    return b;
  }()) << "an empty agent is the file";
}

TEST(StoredAgentConfig, ASaveNamingWhatTheConfigurationLacksIsRefusedByField) {
  const std::vector<std::string> known = {"get_weather", "get_time"};
  xz::store::AgentRecord ok;
  ok.engines = {{"llm", "L2"}};
  EXPECT_TRUE(check_agent(base(), ok, known).empty());

  xz::store::AgentRecord bad;
  bad.engines = {{"tts", "T9"}, {"speaker", "x"}, {"llm", 3}};
  bad.functions = {{"launch", nullptr}, {"get_time", 5}};
  bad.replacement_words = {"ok|fine", "|x", 7};
  std::vector<std::string> fields;
  for (const auto& p : check_agent(base(), bad, known)) fields.push_back(p.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"engines.llm", "engines.speaker", "engines.tts", "functions.get_time",
                                              "functions.launch", "replacement_words[1]", "replacement_words[2]"}));
}
