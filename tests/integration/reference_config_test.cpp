// A reference user's configuration, as such a user switches: the real binary is given a
// copy of the Python reference's whole config.yaml (tests/fixtures/reference_config.yaml)
// with only the ports, the selected engines and their endpoints and keys changed, and
// must accept it in --check-config, start, hand devices a usable WebSocket URL although
// the file holds the reference's placeholder, and serve a typed and a spoken turn.
// --check-config and start-up must refuse exactly the same files.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "apps/config_source.h"
#include "build_paths.h"
#include "sim/sim_device.h"
#include "support/child_process.h"
#include "support/fake_openai.h"
#include "support/speech.h"
#include "support/test_server.h"
#include "tools/builtin/builtin_registry.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::SimDevice;
using xz::test::ChildProcess;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Replaces `from` by `to`, which must occur exactly `count` times (a fixture edit that
// silently does nothing would test the wrong file).
void replace(std::string& text, const std::string& from, const std::string& to, std::size_t count = 1) {
  std::size_t found = 0;
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
    ++found;
  }
  ASSERT_EQ(found, count) << "'" << from << "' in the fixture";
}

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / ("xz_refcfg_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

// The fixture as a user pointing the selected engines at reachable endpoints has it.
struct ReferenceFile {
  std::string text;
  unsigned short ws_port = xz::test::free_port();
  unsigned short http_port = xz::test::free_port();

  explicit ReferenceFile(const FakeOpenAi& fake, bool select_openai_tts = true) {
    text = read_text(XZ_TEST_FIXTURES_DIR "/reference_config.yaml");
    EXPECT_FALSE(text.empty()) << "fixture not found";
    replace(text, "\n  port: 8000\n", "\n  port: " + std::to_string(ws_port) + "\n");
    replace(text, "\n  http_port: 8003\n", "\n  http_port: " + std::to_string(http_port) + "\n");
    // FunASR and EdgeTTS come with the engine issues: the reference's own OpenAI entries.
    replace(text, "\n  ASR: FunASR\n", "\n  ASR: OpenaiASR\n");
    if (select_openai_tts) replace(text, "\n  TTS: EdgeTTS\n", "\n  TTS: OpenAITTS\n");
    // ChatGLMLLM and ChatGLMVLLM.
    replace(text, "url: https://open.bigmodel.cn/api/paas/v4/", "url: " + fake.url() + "/", 2);
    replace(text, "api_key: 你的chat-glm web key", "api_key: sk-glm");
    replace(text, "base_url: https://api.openai.com/v1/audio/transcriptions",
            "base_url: " + fake.url() + "/audio/transcriptions");
    replace(text, "api_key: 你的OpenAI API密钥", "api_key: sk-asr");
    replace(text, "api_url: https://api.openai.com/v1/audio/speech", "api_url: " + fake.url() + "/audio/speech");
    replace(text, "api_key: 你的openai api key", "api_key: sk-tts");
  }
};

std::vector<std::string> lines_with(const std::string& output, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) out.push_back(line.substr(prefix.size()));
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

constexpr const char* kEdgeTtsProblem =
    "selected_module.TTS: EdgeTTS has type 'edge', which this server does not support (supported: alibl_stream, "
    "aliyun_stream, espeak, flite, huoshan_double_stream, openai, xunfei_stream)";

}  // namespace

TEST(ReferenceConfig, CheckConfigAcceptsTheWholeFileAndNamesWhatItIgnores) {
  FakeOpenAi fake;
  TempDir dir("check");
  ReferenceFile ref(fake);
  const std::string path = dir.file("config.yaml", ref.text);
  ChildProcess p(XZ_SERVER_BINARY, {"--check-config", "--config", path}, dir.path.string());
  auto status = p.wait_exit(30s);
  ASSERT_TRUE(status.has_value());
  ASSERT_EQ(*status, 0) << p.output();
  EXPECT_NE(p.output().find("configuration OK"), std::string::npos) << p.output();

  const auto warnings = lines_with(p.output(), "warning: ");
  const std::string all = joined(warnings);
  // Keys no code reads are named, one warning each (aggregated per provider section).
  for (const char* w : {"log.log_format: not read by this server", "delete_audio: not read by this server",
                        "plugins.get_weather.api_host: not read by this server",
                        "VAD: model_dir is not read by this server (ignored in SileroVAD)",
                        "LLM: top_k is not read by this server (ignored in AliLLM)",
                        "ASR: output_dir is not read by this server (ignored in GroqASR, OpenaiASR"})
    EXPECT_NE(all.find(w), std::string::npos) << "missing warning: " << w << "\n" << all;
  // Entries of engine types this build lacks are listed once per section, not refused.
  const auto supported = xz::apps::server_config_source().known_types;
  const json fixture = xz::core::Config::parse_yaml(ref.text, "fixture");
  std::size_t unsupported = 0;
  for (const auto& [kind, types] : supported) {
    for (const auto& [name, entry] : fixture[kind].items()) {
      const std::string type = entry.value("type", name);
      if (types.count(type)) continue;
      ++unsupported;
      const std::regex listed("(^|\\n)" + kind + ": [0-9]+ entr[a-z]+ ha[a-z]+ (an )?engine types? this server does not "
                              "implement; kept, not used: [^\\n]*" + name + " \\(" + type + "\\)");
      EXPECT_TRUE(std::regex_search(all, listed)) << kind << "." << name << " (" << type << ") not listed\n" << all;
    }
  }
  EXPECT_GT(unsupported, 30u) << "the fixture is the reference's whole file";
  // A selected engine still holding a placeholder is named (ChatGLMVLLM's key is kept).
  EXPECT_NE(all.find("VLLM.ChatGLMVLLM.api_key: still holds the placeholder \"你的api_key\""), std::string::npos)
      << all;
  // Never a warning about a key the server reads, nor about the placeholders that mean "auto".
  static const std::set<std::string> kRead = {"type",  "url",   "base_url", "api_url",    "api_key",
                                              "model", "voice", "speed",    "model_name", "format",
                                              "temperature", "max_tokens", "top_p", "frequency_penalty"};
  const std::regex engine_key(R"(^(VAD|ASR|LLM|VLLM|TTS|Memory|Intent): (\S+) is not read)");
  for (const auto& w : warnings) {
    std::smatch m;
    if (std::regex_search(w, m, engine_key)) {
      EXPECT_EQ(kRead.count(m[2].str()), 0u) << w;
    }
    for (const char* read : {"server.websocket", "server.vision_explain", "mcp_endpoint", "selected_module",
                             "manager-api", "prompt:", "xiaozhi", "wakeup_words", "exit_commands"})
      EXPECT_EQ(w.rfind(read, 0), std::string::npos) << w;
  }
  EXPECT_EQ(lines_with(p.output(), "  ").size(), 0u) << "no configuration errors expected\n" << p.output();
}

TEST(ReferenceConfig, StartsHandsDevicesAUsableUrlAndServesTypedAndSpokenTurns) {
  FakeOpenAi fake;
  fake.set_transcript("what is the weather like today");
  TempDir dir("start");
  ReferenceFile ref(fake);
  const std::string path = dir.file("config.yaml", ref.text);
  // The reference's relative log and data directories land in the working directory.
  ChildProcess p(XZ_SERVER_BINARY, {"--config", path}, dir.path.string());
  ASSERT_TRUE(p.wait_for_output("ready", 30s)) << p.output();
  EXPECT_TRUE(std::filesystem::exists(dir.path / "tmp" / "server.log"));
  // The URLs worked out from the placeholders are logged, as the reference does.
  EXPECT_NE(p.output().find("WebSocket URL handed to devices: ws://"), std::string::npos) << p.output();
  EXPECT_NE(p.output().find("server.websocket holds the placeholder"), std::string::npos) << p.output();
  EXPECT_NE(p.output().find("vision explain URL handed to devices: http://"), std::string::npos) << p.output();
  EXPECT_NE(p.output().find("OTA URL for devices: http://"), std::string::npos) << p.output();

  fake.push_reply({.tokens = {"It is ", "sunny. "}});
  fake.push_reply({.tokens = {"Take a ", "hat."}});
  ClientLoop loop;
  struct Seen {
    json ota;
    bool hello = false;
    std::vector<std::string> typed, spoken;
  };
  auto seen = loop.run([&]() -> Task<Seen> {
    Seen s;
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex);
    const std::string ota_url = "http://127.0.0.1:" + std::to_string(ref.http_port) + "/xiaozhi/ota/";
    s.ota = co_await dev.check_ota(ota_url);
    xz::sim::ConnectOptions o;
    o.url = s.ota["websocket"].value("url", "");
    if (o.url.find("你的") != std::string::npos || o.url.empty()) co_return s;
    co_await dev.connect(o);
    s.hello = (co_await dev.wait_hello()).has_value();
    if (!s.hello) co_return s;
    dev.listen_detect("what is the weather");
    if (co_await dev.wait_type("tts", "stop", 20s)) s.typed = dev.turns().back().sentences;
    dev.listen_start("auto");
    co_await dev.speak(xz::test::flite_speech("what is the weather like today"));
    if (co_await dev.wait_type("tts", "stop", 30s)) s.spoken = dev.turns().back().sentences;
    co_return s;
  }());

  const std::string url = seen.ota["websocket"].value("url", "");
  EXPECT_TRUE(std::regex_match(url, std::regex(R"(ws://[0-9.]+:)" + std::to_string(ref.ws_port) + "/xiaozhi/v1/")))
      << seen.ota.dump();
  EXPECT_TRUE(seen.hello) << "the OTA's WebSocket URL must reach the server";
  EXPECT_EQ(seen.typed, (std::vector<std::string>{"It is sunny."})) << p.output();
  EXPECT_EQ(seen.spoken, (std::vector<std::string>{"Take a hat."})) << p.output();

  // Each selected entry's keys meant what they mean in the reference.
  std::map<std::string, std::vector<xz::test::FakeRequest>> by_path;
  for (auto& r : fake.requests()) by_path[r.path].push_back(r);
  ASSERT_EQ(by_path["/v1/chat/completions"].size(), 2u) << "ChatGLMLLM.url is the API base";
  const auto& chat = by_path["/v1/chat/completions"].front();
  EXPECT_EQ(chat.json["model"], "glm-4-flash");
  EXPECT_EQ(chat.headers.at("authorization"), "Bearer sk-glm");
  // "你的" in the prompt is text, not a placeholder.
  EXPECT_NE(chat.json["messages"][0]["content"].get<std::string>().find("记得你的名字"), std::string::npos);
  // prompt_template: agent-base-prompt.txt is the built-in copy, around the reference's prompt.
  const std::string system = chat.json["messages"][0]["content"].get<std::string>();
  EXPECT_EQ(system.rfind("<identity>\n你是小智", 0), 0u) << system;
  EXPECT_NE(system.find("星期"), std::string::npos) << system;
  EXPECT_NE(system.find("Answer in zh"), std::string::npos) << "language: zh fills {{language}}\n" << system;
  ASSERT_EQ(by_path["/v1/audio/transcriptions"].size(), 1u) << "OpenaiASR.base_url is the full URL";
  const auto& asr = by_path["/v1/audio/transcriptions"].front();
  EXPECT_EQ(asr.form.at("model"), "gpt-4o-mini-transcribe");
  EXPECT_EQ(asr.headers.at("authorization"), "Bearer sk-asr");
  ASSERT_FALSE(by_path["/v1/audio/speech"].empty()) << "OpenAITTS.api_url is the full URL";
  const auto& tts = by_path["/v1/audio/speech"].front();
  EXPECT_EQ(tts.json["model"], "tts-1");
  EXPECT_EQ(tts.json["voice"], "onyx");
  EXPECT_EQ(tts.json["speed"], 1.0);
  EXPECT_EQ(tts.headers.at("authorization"), "Bearer sk-tts");

  p.signal(SIGTERM);
  auto status = p.wait_exit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0) << p.output();
}

TEST(ReferenceConfig, SelectingEdgeTtsIsOneClearErrorInCheckAndAtStart) {
  FakeOpenAi fake;
  TempDir dir("edge");
  ReferenceFile ref(fake, /*select_openai_tts=*/false);
  const std::string path = dir.file("config.yaml", ref.text);

  ChildProcess check(XZ_SERVER_BINARY, {"--check-config", "--config", path}, dir.path.string());
  auto status = check.wait_exit(30s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 2) << check.output();
  EXPECT_EQ(lines_with(check.output(), "  "), std::vector<std::string>{kEdgeTtsProblem}) << check.output();

  ChildProcess start(XZ_SERVER_BINARY, {"--config", path}, dir.path.string());
  status = start.wait_exit(30s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 2) << start.output();
  EXPECT_NE(start.output().find(kEdgeTtsProblem), std::string::npos) << start.output();
}

// What only the engines and functions can judge (not the schema) is refused by
// --check-config too, with the words start-up uses.
TEST(ReferenceConfig, CheckConfigRefusesWhatStartUpRefuses) {
  FakeOpenAi fake;
  TempDir dir("same");
  ReferenceFile ref(fake);
  std::string text = ref.text;
  replace(text, "\n      - change_role\n", "\n      - change_role\n      - get_stock_price\n");
  replace(text, "    voice: onyx\n    speed: 1\n", "    voice: onyx\n    speed: 9\n");
  const std::string path = dir.file("config.yaml", text);
  const std::string unknown_function = "Intent.function_call.functions[1]: unknown function 'get_stock_price'";
  const std::string bad_speed = "TTS.OpenAITTS.speed: must be between 0.25 and 4";

  ChildProcess check(XZ_SERVER_BINARY, {"--check-config", "--config", path}, dir.path.string());
  auto status = check.wait_exit(30s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 2) << check.output();
  const auto problems = lines_with(check.output(), "  ");
  ASSERT_EQ(problems.size(), 2u) << check.output();
  EXPECT_EQ(problems[0], bad_speed);
  EXPECT_EQ(problems[1].rfind(unknown_function, 0), 0u) << problems[1];

  ChildProcess start(XZ_SERVER_BINARY, {"--config", path}, dir.path.string());
  status = start.wait_exit(30s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 2) << start.output();
  EXPECT_NE(start.output().find(bad_speed), std::string::npos) << start.output();
  EXPECT_NE(start.output().find(unknown_function), std::string::npos) << start.output();
}
