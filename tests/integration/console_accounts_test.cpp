// Console accounts through the whole server: the first start's admin password (the real
// binary, twice on one data directory), the `admin` command, and the push and admin
// routes taking a console session (with CSRF for writes) or the bearer token.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "apps/commands.h"
#include "core/config.h"
#include "support/child_process.h"
#include "support/test_server.h"
#include "build_paths.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::test::http_request;
using xz::test::TestServer;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr const char* kToken = "console-accounts-admin-token-0123456789";

std::string temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("xz_console_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

struct CliRun {
  int exit_code;
  std::string out, err;
};

// `xiaozhi-server admin ...` in-process on `data_dir`.
CliRun admin_cli(const std::string& data_dir, std::vector<std::string> args) {
  json root = json::object();
  xz::core::set_path(root, "log.data_dir", data_dir);
  xz::core::set_path(root, "server.console.password_log_n", 10);
  args.insert(args.begin(), "admin");
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  int rc = xz::apps::run_command(xz::core::Config(root), args);
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  return {rc, out.str(), err.str()};
}

std::string password_file(const std::string& dir, const std::string& name, const std::string& password) {
  const std::string path = dir + "/" + name;
  std::ofstream(path) << password << "\n";
  return path;
}

xz::test::HttpResult login(unsigned short port, const std::string& user, const std::string& password) {
  return http_request(port, "POST", "/api/v1/auth/login", json{{"username", user}, {"password", password}}.dump(),
                      {{"Content-Type", "application/json"}});
}

// The cookie and CSRF headers of a fresh login.
Headers session_headers(unsigned short port, const std::string& user, const std::string& password) {
  auto r = login(port, user, password);
  EXPECT_EQ(r.status, 200) << r.body;
  const std::string set = r.header("Set-Cookie");
  return {{"Cookie", set.substr(0, set.find(';'))},
          {"X-CSRF-Token", r.status == 200 ? json::parse(r.body).value("csrf_token", "") : ""},
          {"Content-Type", "application/json"}};
}

}  // namespace

TEST(ConsoleAccounts, FirstStartPrintsTheAdminPasswordOnceAndItLogsIn) {
  const auto dir = temp_dir("first");
  const auto http_port = xz::test::free_port();
  const std::vector<std::string> args = {"--http-port", std::to_string(http_port), "--port",
                                         std::to_string(xz::test::free_port())};
  std::string password;
  {
    xz::test::ChildProcess first(XZ_SERVER_BINARY, args, dir);
    ASSERT_TRUE(first.wait_for_output("ready", 20s)) << first.output();
    std::smatch m;
    const std::string out = first.output();
    ASSERT_TRUE(std::regex_search(out, m, std::regex("account 'admin' with password ([A-Za-z0-9]{20}) -- log in at "
                                                     "http://[^ ]+:" + std::to_string(http_port) + "/console/")))
        << out;
    password = m[1];
    EXPECT_EQ(out.find(password, out.find(password) + 1), std::string::npos) << "printed once";
    EXPECT_EQ(login(http_port, "admin", password).status, 200);
    first.signal(SIGTERM);
    EXPECT_EQ(first.wait_exit(10s).value_or(-1), 0);
  }
  xz::test::ChildProcess second(XZ_SERVER_BINARY, args, dir);
  ASSERT_TRUE(second.wait_for_output("ready", 20s)) << second.output();
  EXPECT_EQ(second.output().find("FIRST START"), std::string::npos) << second.output();
  EXPECT_EQ(second.output().find(password), std::string::npos);
  EXPECT_EQ(login(http_port, "admin", password).status, 200) << "the same account, kept";
  second.signal(SIGTERM);
  EXPECT_EQ(second.wait_exit(10s).value_or(-1), 0);
  std::filesystem::remove_all(dir);
}

TEST(ConsoleAccounts, TheAdminCommandAddsListsSetsAndRemovesAccounts) {
  const auto dir = temp_dir("cli");
  const auto pw = password_file(dir, "pw", "vera-password-1");
  auto added = admin_cli(dir, {"add-user", "vera", "--role", "viewer", "--password-file", pw});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_NE(added.out.find("added vera (viewer)"), std::string::npos) << added.out;
  EXPECT_EQ(admin_cli(dir, {"add-user", "ops", "--role=admin", "--password-file=" + pw}).exit_code, 0);
  EXPECT_EQ(admin_cli(dir, {"add-user", "vera", "--password-file", pw}).exit_code, 1) << "exists";
  EXPECT_EQ(admin_cli(dir, {"add-user", "bad name", "--password-file", pw}).exit_code, 2);
  EXPECT_EQ(admin_cli(dir, {"add-user", "x", "--role", "root", "--password-file", pw}).exit_code, 2);
  EXPECT_EQ(admin_cli(dir, {"add-user", "shorty", "--password-file", password_file(dir, "short", "short")}).exit_code, 1);
  EXPECT_EQ(admin_cli(dir, {"set-password", "nobody", "--password-file", pw}).exit_code, 1);

  auto list = admin_cli(dir, {"list-users"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_TRUE(std::regex_search(list.out, std::regex("\nops +admin ")) && std::regex_search(list.out, std::regex("\nvera +viewer ")))
      << list.out;
  EXPECT_NE(list.out.find("2 account(s)"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("$scrypt$"), std::string::npos) << "hashes are never shown";

  EXPECT_EQ(admin_cli(dir, {"remove-user", "ops"}).exit_code, 1) << "the last admin stays";
  EXPECT_EQ(admin_cli(dir, {"remove-user", "vera"}).exit_code, 0);
  EXPECT_EQ(admin_cli(dir, {"set-password", "ops", "--password-file", password_file(dir, "new", "ops-password-2")})
                .exit_code,
            0);

  // The server on that directory: the new password works, the old one does not, and no
  // first-start account is made beside the admin that exists.
  TestServer server(std::vector<std::pair<std::string, json>>{{"log.data_dir", dir}});
  EXPECT_EQ(login(server.http_port(), "ops", "ops-password-2").status, 200);
  EXPECT_EQ(login(server.http_port(), "ops", "vera-password-1").status, 401);
  EXPECT_EQ(login(server.http_port(), "vera", "vera-password-1").status, 401) << "removed";
  EXPECT_FALSE(std::regex_search(admin_cli(dir, {"list-users"}).out, std::regex("\nadmin ")));
  std::filesystem::remove_all(dir);
}

TEST(ConsoleAccounts, PushAndAdminRoutesTakeASessionWithCsrfOrTheToken) {
  TestServer server(std::vector<std::pair<std::string, json>>{{"server.admin_token", kToken}});
  const auto port = server.http_port();
  const auto pw = password_file(server.data_dir(), "pw", "console-password");
  ASSERT_EQ(admin_cli(server.data_dir(), {"add-user", "ops", "--role", "admin", "--password-file", pw}).exit_code, 0);
  ASSERT_EQ(admin_cli(server.data_dir(), {"add-user", "vera", "--password-file", pw}).exit_code, 0);
  const std::string speak = "/api/devices/aa:bb:cc:dd:ee:01/speak";
  const std::string body = R"({"text":"hello"})";

  auto ops = session_headers(port, "ops", "console-password");
  EXPECT_EQ(http_request(port, "GET", "/api/devices/online", {}, {ops[0]}).status, 200);
  EXPECT_EQ(http_request(port, "GET", "/api/devices", {}, {ops[0]}).status, 200);
  EXPECT_EQ(http_request(port, "POST", speak, body, {ops[0], ops[2]}).status, 403) << "no CSRF token";
  // Past the check: 404 is the route's own "not connected".
  EXPECT_EQ(http_request(port, "POST", speak, body, ops).status, 404);

  auto vera = session_headers(port, "vera", "console-password");
  EXPECT_EQ(http_request(port, "GET", "/api/devices/online", {}, {vera[0]}).status, 200);
  EXPECT_EQ(http_request(port, "POST", speak, body, vera).status, 403) << "a viewer only reads";
  EXPECT_EQ(http_request(port, "POST", "/api/devices/bind", R"({"code":"123456"})", vera).status, 403);

  const Headers bearer{{"Authorization", std::string("Bearer ") + kToken}, {"Content-Type", "application/json"}};
  EXPECT_EQ(http_request(port, "POST", speak, body, bearer).status, 404);
  EXPECT_EQ(http_request(port, "GET", "/api/devices/online").status, 401);
}

TEST(ConsoleAccounts, WithTheConsoleOffTheRoutesTakeTheTokenOnly) {
  TestServer server(
      std::vector<std::pair<std::string, json>>{{"server.admin_token", kToken}, {"server.console.enabled", false}});
  const auto port = server.http_port();
  EXPECT_EQ(login(port, "admin", "whatever-password").status, 404);
  EXPECT_EQ(http_request(port, "GET", "/api/devices", {}, {{"Authorization", std::string("Bearer ") + kToken}}).status,
            200);
  auto list = admin_cli(server.data_dir(), {"list-users"});
  EXPECT_NE(list.out.find("0 account(s)"), std::string::npos) << "no first-start account either: " << list.out;
}
