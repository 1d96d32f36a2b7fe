// The real binary, as an operator runs it: start, /health, SIGTERM, --check-config.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/child_process.h"
#include "build_paths.h"

using namespace std::chrono_literals;
using xz::test::ChildProcess;

namespace {

std::string temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("xz_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

}  // namespace

TEST(ServerProcess, StartsAnswersHealthAndStopsOnSigterm) {
  auto dir = temp_dir("proc");
  auto http_port = xz::test::free_port();
  auto ws_port = xz::test::free_port();
  ChildProcess p(XZ_SERVER_BINARY,
                 {"--http-port", std::to_string(http_port), "--port", std::to_string(ws_port)}, dir);
  ASSERT_TRUE(p.wait_for_output("ready", 10s)) << p.output();

  auto r = xz::test::http_request(http_port, "GET", "/health");
  EXPECT_EQ(r.status, 200);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_TRUE(j["version"].is_string());
  EXPECT_TRUE(j["uptime_seconds"].is_number());
  EXPECT_EQ(j["live_sessions"], 0);

  auto t0 = std::chrono::steady_clock::now();
  p.signal(SIGTERM);
  auto status = p.wait_exit(6s);  // grace (5 s) + 1 s
  ASSERT_TRUE(status.has_value()) << "did not exit within the grace period\n" << p.output();
  EXPECT_EQ(*status, 0) << p.output();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 6s);
  EXPECT_TRUE(std::filesystem::exists(dir + "/tmp/server.log")) << "rotating log file under log_dir";
}

TEST(ServerProcess, CheckConfigNamesTheBadKeyAndExits2) {
  auto dir = temp_dir("badcfg");
  std::ofstream(dir + "/bad.yaml") << "server:\n  port: \"not a port\"\n";
  ChildProcess p(XZ_SERVER_BINARY, {"--check-config", "--config", dir + "/bad.yaml"}, dir);
  auto status = p.wait_exit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 2);
  EXPECT_NE(p.output().find("server.port"), std::string::npos) << p.output();
}

TEST(ServerProcess, CheckConfigMasksSecretsAndExits0) {
  auto dir = temp_dir("goodcfg");
  std::ofstream(dir + "/ok.yaml") << "LLM:\n  OpenAILLM:\n    api_key: sk-very-secret\n";
  ChildProcess p(XZ_SERVER_BINARY, {"--check-config", "-c", dir + "/ok.yaml"}, dir);
  auto status = p.wait_exit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0) << p.output();
  EXPECT_EQ(p.output().find("sk-very-secret"), std::string::npos);
}

TEST(ServerProcess, UnreadableConfigIsAClearErrorNotACrash) {
  auto dir = temp_dir("invalid");
  std::ofstream(dir + "/broken.yaml") << "server: {port: [\n";
  ChildProcess p(XZ_SERVER_BINARY, {"--config", dir + "/broken.yaml"}, dir);
  auto status = p.wait_exit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 2);
  EXPECT_NE(p.output().find("invalid YAML"), std::string::npos) << p.output();
}

TEST(ServerProcess, PortInUseFailsWithAClearMessage) {
  auto dir = temp_dir("busy");
  auto port = xz::test::free_port();
  ChildProcess first(XZ_SERVER_BINARY, {"--http-port", std::to_string(port), "--port",
                                         std::to_string(xz::test::free_port())}, dir);
  ASSERT_TRUE(first.wait_for_output("ready", 10s));
  ChildProcess second(XZ_SERVER_BINARY, {"--http-port", std::to_string(port), "--port",
                                          std::to_string(xz::test::free_port())}, dir);
  auto status = second.wait_exit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 1);
  EXPECT_NE(second.output().find("cannot listen"), std::string::npos) << second.output();
  first.signal(SIGTERM);
  EXPECT_EQ(first.wait_exit(6s).value_or(-1), 0);
}

TEST(ServerProcess, HelpAndVersion) {
  ChildProcess v(XZ_SERVER_BINARY, {"--version"});
  EXPECT_EQ(v.wait_exit(5s).value_or(-1), 0);
  ChildProcess bad(XZ_SERVER_BINARY, {"--no-such-option"});
  EXPECT_EQ(bad.wait_exit(5s).value_or(-1), 2);
  EXPECT_NE(bad.output().find("unknown option"), std::string::npos);
}
