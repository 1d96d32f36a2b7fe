// The manager-api's envelope and how its answers combine with the local configuration
// (manager-console.md §2.6), as pure functions.
#include "agents/manager_wire.h"

#include <gtest/gtest.h>

using namespace xz::agents;
using nlohmann::json;

namespace {
const std::vector<std::string> kFunctions = {"get_weather", "play_music", "get_time"};
}  // namespace

TEST(ManagerEnvelope, DataBindCodesAndErrors) {
  auto ok = parse_envelope(R"({"code":0,"msg":"success","data":{"a":1}})");
  EXPECT_EQ(ok.outcome, ManagerOutcome::data);
  EXPECT_EQ(ok.data, json({{"a", 1}}));

  auto bind = parse_envelope(R"({"code":10042,"msg":"385217"})");
  EXPECT_EQ(bind.outcome, ManagerOutcome::bind_device);
  EXPECT_EQ(bind.message, "385217");

  EXPECT_EQ(parse_envelope(R"({"code":10041,"msg":"device not found"})").outcome, ManagerOutcome::device_not_found);

  auto other = parse_envelope(R"({"code":500,"msg":"服务器内部异常"})");
  EXPECT_EQ(other.outcome, ManagerOutcome::error);
  EXPECT_NE(other.message.find("500"), std::string::npos);
  EXPECT_NE(other.message.find("服务器内部异常"), std::string::npos);
}

TEST(ManagerEnvelope, WhatIsNotTheEnvelopeIsAnErrorNeverAThrow) {
  for (const char* body : {"", "<html>502 Bad Gateway</html>", "[1,2]", R"({"msg":"no code"})",
                           R"({"code":"abc"})", R"({"code":0.5})", "{\"code\":0,\"data\":"}) {
    auto e = parse_envelope(body);
    EXPECT_EQ(e.outcome, ManagerOutcome::error) << body;
    EXPECT_FALSE(e.message.empty()) << body;
  }
  // A code as a string is read as the number it holds.
  EXPECT_EQ(parse_envelope(R"({"code":"10042","msg":"123456"})").outcome, ManagerOutcome::bind_device);
  // Deep nesting is refused before it is parsed.
  std::string deep = R"({"code":0,"data":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto e = parse_envelope(deep);
  EXPECT_EQ(e.outcome, ManagerOutcome::error);
  EXPECT_NE(e.message.find("nested"), std::string::npos);
}

TEST(ServerBase, MergesOverTheLocalFileKeepingWhatTheReferenceKeepsLocal) {
  json local = {{"server", {{"ip", "127.0.0.1"}, {"port", 8000}, {"http_port", 8003}, {"vision_explain", ""},
                            {"auth_key", "local-key"}, {"timezone_offset", 8}}},
                {"prompt_template", "agent-base-prompt.txt"},
                {"log", {{"data_dir", "/var/lib/xz"}, {"log_dir", "/var/log/xz"}, {"log_level", "INFO"}}},
                {"manager-api", {{"url", "http://m/xiaozhi"}, {"secret", "s"}}},
                {"exit_commands", {"退出"}},
                {"prompt", "local prompt"},
                {"VAD", {{"SileroVAD", {{"type", "silero"}, {"threshold", 0.5}}}}}};
  json base = {{"server", {{"ip", "10.0.0.9"}, {"port", 9999}, {"secret", "mgr-secret"}, {"timezone_offset", 9},
                           {"websocket", "ws://h:8000/xiaozhi/v1/"}}},
               {"prompt_template", "from manager"},
               {"log", {{"data_dir", "/tmp/elsewhere"}, {"log_level", "DEBUG"}}},
               {"manager-api", {{"url", "http://evil/"}}},
               {"exit_commands", {"再见", "拜拜"}},
               {"prompt", nullptr},
               {"summaryMemory", nullptr},
               {"VAD", {{"VAD_SileroVAD", {{"type", "silero"}, {"threshold", 0.6}}}}},
               {"selected_module", {{"VAD", "VAD_SileroVAD"}}}};
  json m = merge_server_base(local, base);
  EXPECT_EQ(m["server"]["ip"], "127.0.0.1");
  EXPECT_EQ(m["server"]["port"], 8000);
  EXPECT_EQ(m["server"]["auth_key"], "local-key");
  EXPECT_EQ(m["server"]["timezone_offset"], 9) << "the manager's other server keys apply";
  EXPECT_EQ(m["server"]["secret"], "mgr-secret");
  EXPECT_EQ(m["prompt_template"], "agent-base-prompt.txt");
  EXPECT_EQ(m["log"]["data_dir"], "/var/lib/xz");
  EXPECT_EQ(m["log"]["log_dir"], "/var/log/xz");
  EXPECT_EQ(m["log"]["log_level"], "DEBUG");
  EXPECT_EQ(m["manager-api"]["url"], "http://m/xiaozhi");
  EXPECT_EQ(m["exit_commands"], json({"再见", "拜拜"})) << "lists replace";
  EXPECT_EQ(m["prompt"], "local prompt") << "a null leaves the local value";
  EXPECT_FALSE(m.contains("summaryMemory"));
  EXPECT_TRUE(m["VAD"].contains("SileroVAD"));
  EXPECT_EQ(m["VAD"]["VAD_SileroVAD"]["threshold"], 0.6);
  EXPECT_EQ(m["selected_module"]["VAD"], "VAD_SileroVAD");
}

TEST(AgentConfig, TheAgentsSectionsPromptPluginsAndWords) {
  json server = {{"selected_module", {{"VAD", "SileroVAD"}, {"ASR", "PocketsphinxASR"}, {"LLM", "OpenAILLM"},
                                      {"TTS", "FliteTTS"}, {"Memory", "nomem"}, {"Intent", "function_call"}}},
                 {"VAD", {{"SileroVAD", {{"type", "silero"}}}}},
                 {"LLM", {{"OpenAILLM", {{"type", "openai"}}}}},
                 {"TTS", {{"FliteTTS", {{"type", "flite"}}}}},
                 {"Intent", {{"function_call", {{"type", "function_call"}, {"functions", {"get_weather"}}}}}},
                 {"plugins", {{"get_weather", {{"api_key", "k"}, {"default_location", "Berlin"}}}}},
                 {"replacement_words", {"AI|A I"}},
                 {"prompt", "server prompt"}};
  json agent = {{"VAD", {{"SileroVAD", {{"type", "silero"}, {"threshold", 0.9}}}}},
                {"LLM", {{"LLM_Qwen", {{"type", "openai"}, {"model_name", "qwen"}}},
                         {"LLM_Intent", {{"type", "openai"}, {"model_name", "small"}}}}},
                {"TTS", {{"TTS_Open", {{"type", "openai"}, {"private_voice", "nova"}}}}},
                {"Intent", {{"Intent_function_call", {{"type", "function_call"}}}}},
                {"plugins", {{"get_weather", R"({"default_location":"广州"})"}, {"play_music", "{}"},
                             {"not_a_function_here", "{}"}}},
                {"selected_module", {{"VAD", "SileroVAD"}, {"LLM", "LLM_Qwen"}, {"TTS", "TTS_Open"},
                                     {"Intent", "Intent_function_call"}}},
                {"prompt", "You are Alice."},
                {"mcp_endpoint", "ws://h/call/?token=x"},
                {"summaryMemory", "likes tea"},
                {"chat_history_conf", 2}};
  std::vector<std::string> warnings;
  json c = agent_config(server, agent, {"小志|小智", "bad word"}, kFunctions, &warnings);
  // VAD: the same model id as the server's is not replaced (the manager omits it then too).
  EXPECT_FALSE(c["VAD"]["SileroVAD"].contains("threshold"));
  EXPECT_EQ(c["selected_module"]["LLM"], "LLM_Qwen");
  EXPECT_TRUE(c["LLM"].contains("LLM_Intent")) << "every entry of the answer is kept";
  EXPECT_TRUE(c["LLM"].contains("OpenAILLM"));
  EXPECT_EQ(c["selected_module"]["TTS"], "TTS_Open");
  EXPECT_EQ(c["TTS"]["TTS_Open"]["private_voice"], "nova");
  EXPECT_EQ(c["selected_module"]["ASR"], "PocketsphinxASR") << "absent: the server's";
  EXPECT_EQ(c["prompt"], "You are Alice.");
  EXPECT_EQ(c["mcp_endpoint"], "ws://h/call/?token=x");
  EXPECT_EQ(c["Intent"]["Intent_function_call"]["functions"], json({"get_weather", "play_music"}));
  EXPECT_EQ(c["plugins"]["get_weather"]["default_location"], "广州");
  EXPECT_EQ(c["plugins"]["get_weather"]["api_key"], "k") << "the agent's plugin settings merge over the server's";
  EXPECT_EQ(c["replacement_words"], json({"AI|A I", "小志|小智"}));
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("not_a_function_here"), std::string::npos);
  EXPECT_NE(warnings[1].find("bad word"), std::string::npos);

  EXPECT_EQ(chat_history_conf(agent), 2);
  EXPECT_EQ(chat_history_conf(json{{"chat_history_conf", "1"}}), 1);
  EXPECT_EQ(chat_history_conf(json{{"chat_history_conf", 7}}), std::nullopt);
  EXPECT_EQ(summary_memory(agent), "likes tea");
  EXPECT_EQ(summary_memory(json{{"summaryMemory", nullptr}}), std::nullopt);
}

TEST(AgentConfig, AnEntryTheAnswerDoesNotHoldKeepsTheServersAndSaysSo) {
  json server = {{"selected_module", {{"TTS", "FliteTTS"}}}, {"TTS", {{"FliteTTS", {{"type", "flite"}}}}}};
  json agent = {{"TTS", {{"TTS_A", {{"type", "openai"}}}}}, {"selected_module", {{"TTS", "TTS_Missing"}}}};
  std::vector<std::string> warnings;
  json c = agent_config(server, agent, {}, kFunctions, &warnings);
  EXPECT_EQ(c["selected_module"]["TTS"], "FliteTTS");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("TTS_Missing"), std::string::npos);
  // Not an object at all: the server's agent.
  warnings.clear();
  EXPECT_EQ(agent_config(server, json::array(), {}, kFunctions, &warnings), server);
  EXPECT_EQ(warnings.size(), 1u);
}

TEST(AgentConfig, NointentTakesNoPlugins) {
  json server = {{"selected_module", {{"Intent", "function_call"}}},
                 {"Intent", {{"function_call", {{"type", "function_call"}, {"functions", {"get_time"}}}}}}};
  json agent = {{"Intent", {{"Intent_nointent", {{"type", "nointent"}}}}},
                {"selected_module", {{"Intent", "Intent_nointent"}}},
                {"plugins", {{"play_music", "{}"}}}};
  json c = agent_config(server, agent, {}, kFunctions, nullptr);
  EXPECT_EQ(c["selected_module"]["Intent"], "Intent_nointent");
  EXPECT_FALSE(c["Intent"]["Intent_nointent"].contains("functions"));
}

TEST(ManagerSummary, OnlyForMemLocalShort) {
  EXPECT_TRUE(manager_summarises(json{{"selected_module", {{"Memory", "M"}}}, {"Memory", {{"M", {{"type", "mem_local_short"}}}}}}));
  EXPECT_FALSE(manager_summarises(json{{"selected_module", {{"Memory", "nomem"}}}}));
  EXPECT_FALSE(manager_summarises(json{{"selected_module", {{"Memory", "M"}}}, {"Memory", {{"M", {{"type", "mem_report_only"}}}}}}));
}

TEST(CorrectWords, StringsOnlyAndBounded) {
  EXPECT_EQ(correct_words(json({"a|b", 3, "c|d"})), std::vector<std::string>({"a|b", "c|d"}));
  EXPECT_TRUE(correct_words(json::object()).empty());
  json many = json::array();
  for (int i = 0; i < 5000; ++i) many.push_back("w|" + std::to_string(i));
  EXPECT_EQ(correct_words(many, 1000).size(), 1000u);
}

TEST(ServerBase, AnAnswerThatIsNotAMapWhereTheLocalKeysLiveDoesNotLoseThem) {
  json local = {{"server", {{"ip", "127.0.0.1"}, {"port", 8000}}}, {"log", {{"data_dir", "/d"}}}};
  json m = merge_server_base(local, json{{"server", "oops"}, {"log", 3}, {"manager-api", "x"}});
  EXPECT_EQ(m["server"]["ip"], "127.0.0.1");
  EXPECT_EQ(m["server"]["port"], 8000);
  EXPECT_EQ(m["log"]["data_dir"], "/d");
  EXPECT_FALSE(m.contains("manager-api")) << "absent locally: the answer's value goes too";
}
