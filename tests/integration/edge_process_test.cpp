// Start-up checks of the real binary: the warning when it listens beyond loopback with
// device auth off, and the refusal of a short admin token (at start and by --check-config).
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "support/child_process.h"
#include "build_paths.h"

using namespace std::chrono_literals;
using xz::test::ChildProcess;

namespace {

std::string temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("xz_edge_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

std::vector<std::string> port_args() {
  return {"--http-port", std::to_string(xz::test::free_port()), "--port", std::to_string(xz::test::free_port())};
}

constexpr const char* kWarning = "server.auth.enabled is false";

}  // namespace

TEST(EdgeStartup, WarnsWhenListeningBeyondLoopbackWithoutAuth) {
  auto dir = temp_dir("exposed");
  ChildProcess p(XZ_SERVER_BINARY, port_args(), dir);  // the default: 0.0.0.0, auth off
  ASSERT_TRUE(p.wait_for_output("ready", 10s)) << p.output();
  EXPECT_NE(p.output().find(kWarning), std::string::npos) << p.output();
  EXPECT_NE(p.output().find("server.ip: 127.0.0.1"), std::string::npos) << "it says how to fix it";
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait_exit(6s).value_or(-1), 0);
}

TEST(EdgeStartup, NoWarningOnLoopbackOrWithAuth) {
  auto dir = temp_dir("quiet");
  std::ofstream(dir + "/loopback.yaml") << "server:\n  ip: 127.0.0.1\n";
  std::ofstream(dir + "/auth.yaml") << "server:\n  auth:\n    enabled: true\n";
  for (const char* file : {"/loopback.yaml", "/auth.yaml"}) {
    auto args = port_args();
    args.push_back("--config");
    args.push_back(dir + file);
    ChildProcess p(XZ_SERVER_BINARY, args, dir);
    ASSERT_TRUE(p.wait_for_output("ready", 10s)) << p.output();
    EXPECT_EQ(p.output().find(kWarning), std::string::npos) << file << "\n" << p.output();
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait_exit(6s).value_or(-1), 0);
  }
}

TEST(EdgeStartup, ShortAdminTokenRefusesToStartAndCheckConfigSaysTheSame) {
  auto dir = temp_dir("admin");
  std::ofstream(dir + "/short.yaml") << "server:\n  admin_token: \"letmein\"\n";
  auto args = port_args();
  args.push_back("--config");
  args.push_back(dir + "/short.yaml");
  ChildProcess start(XZ_SERVER_BINARY, args, dir);
  auto status = start.wait_exit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 2) << start.output();
  const auto at = start.output().find("server.admin_token: too short (7 characters; at least 32");
  EXPECT_NE(at, std::string::npos) << start.output();

  ChildProcess check(XZ_SERVER_BINARY, {"--check-config", "--config", dir + "/short.yaml"}, dir);
  auto check_status = check.wait_exit(10s);
  ASSERT_TRUE(check_status.has_value());
  EXPECT_EQ(*check_status, 2);
  EXPECT_NE(check.output().find("server.admin_token: too short (7 characters; at least 32"), std::string::npos)
      << check.output();
}
