// The server must not phone home. ONNX Runtime builds with Microsoft's 1DS telemetry
// (asus4's 1.29) write, as soon as an Ort::Env exists, a device id and an event queue
// under $XDG_CACHE_HOME or $HOME/.cache (Microsoft/DeveloperTools/.onnxruntime/
// onnxruntime.db) and an empty mat-debug-<pid>.log in $TMPDIR. The real binary runs
// with all three pointed at fresh directories, hears one spoken turn through Silero
// VAD, and stops; neither file may exist afterwards.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "sim/sim_device.h"
#include "support/child_process.h"
#include "support/fake_openai.h"
#include "support/speech.h"
#include "support/test_server.h"
#include "build_paths.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::DeviceProfile;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;

namespace {

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("xz-telemetry-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
  static inline int counter = 0;
};

std::string listing(const std::filesystem::path& dir) {
  std::string out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) out += e.path().string() + "\n";
  return out;
}

}  // namespace

TEST(NoTelemetry, AVoiceTurnThroughSileroWritesNoTelemetryFiles) {
  TempDir dir, home, tmp;
  FakeOpenAi fake;
  FakeReply reply;
  reply.tokens = {"Hello there."};
  fake.push_reply(reply);

  const auto ws_port = xz::test::free_port();
  json cfg = {{"server", {{"ip", "127.0.0.1"}, {"port", ws_port}, {"http_port", xz::test::free_port()}}},
              {"log", {{"data_dir", dir.path.string()}, {"log_dir", (dir.path / "log").string()}}},
              {"selected_module", {{"VAD", "SileroVAD"}, {"ASR", "PocketsphinxASR"}}},
              {"LLM", {{"OpenAILLM", {{"base_url", fake.url()}, {"api_key", "sk-test"}}}}}};
  const auto config_path = dir.path / "config.yaml";
  std::ofstream(config_path) << cfg.dump(2);  // JSON is YAML
  xz::test::ChildProcess server(
      XZ_SERVER_BINARY, {"--config", config_path.string()}, dir.path.string(),
      {{"HOME", home.path.string()},
       {"TMPDIR", tmp.path.string()},
       {"XDG_CACHE_HOME", (home.path / ".cache").string()}});
  ASSERT_TRUE(server.wait_for_output("ready", 20s)) << server.output();
  const pid_t pid = server.pid();

  ClientLoop loop;
  loop.run([&]() -> Task<void> {
    auto ex = co_await boost::asio::this_coro::executor;
    SimDevice dev(ex, DeviceProfile{});
    ConnectOptions o;
    o.url = "ws://127.0.0.1:" + std::to_string(ws_port) + "/xiaozhi/v1/";
    co_await dev.connect(o);
    EXPECT_TRUE((co_await dev.wait_hello()).has_value());
    dev.listen_start("auto");
    co_await dev.speak(xz::test::flite_speech("what time is it"));
    // Only the VAD's end of speech makes a turn in auto mode.
    auto stt = co_await dev.wait_type("stt", "", 20s);
    EXPECT_TRUE(stt.has_value()) << "the VAD never ended the utterance";
    EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s)) << "no reply";
  }());
  server.signal(SIGTERM);
  auto status = server.wait_exit(10s);
  ASSERT_TRUE(status.has_value()) << server.output();
  EXPECT_EQ(*status, 0) << server.output();

  const auto db = home.path / ".cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db";
  const auto debug_log = tmp.path / ("mat-debug-" + std::to_string(pid) + ".log");
  EXPECT_FALSE(std::filesystem::exists(db)) << "telemetry queue written:\n" << listing(home.path);
  EXPECT_FALSE(std::filesystem::exists(debug_log)) << "1DS debug log written:\n" << listing(tmp.path);
  EXPECT_FALSE(std::filesystem::exists(home.path / ".cache/Microsoft")) << listing(home.path);
}
