// Activation end to end: code in the OTA answer, /activate 202, binding by the
// operator (CLI and admin API), then an OTA answer without activation and 200.
#include <iostream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "apps/commands.h"
#include "ota_fixture.h"

using xz::test::http_request;
using xz::test::kDeviceId;
using xz::test::OtaServer;
using xz::test::Overrides;

namespace {

constexpr const char* kAdminToken = "admin-secret-token-of-32-characters";

std::vector<std::pair<std::string, nlohmann::json>> activation_on() {
  return {{"server.activation.enabled", true},
          {"server.activation.message", "Enter the code at the console"},
          {"server.activation.code_ttl_seconds", 600},
          {"server.admin_token", kAdminToken}};
}

// Runs `xiaozhi-server devices ...` in-process against the server's data directory.
struct CliRun {
  int exit_code;
  std::string out, err;
};
CliRun run_devices(const OtaServer& srv, std::vector<std::string> args) {
  args.insert(args.begin(), "devices");
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  int rc = xz::apps::run_command(srv.config(), args);
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  return {rc, out.str(), err.str()};
}

xz::test::HttpResult admin(const OtaServer& srv, const std::string& method, const std::string& path,
                           const std::string& body, const std::string& token) {
  std::vector<std::pair<std::string, std::string>> h{{"Content-Type", "application/json"}};
  if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
  return http_request(srv.port(), method, path, body, h);
}

}  // namespace

TEST(Activation, UnknownDeviceGetsACodeBindsByCliThenActivates) {
  OtaServer srv(activation_on());
  auto first = srv.check_json();
  ASSERT_TRUE(first.contains("activation")) << first.dump();
  const std::string code = first["activation"]["code"];
  EXPECT_TRUE(std::regex_match(code, std::regex("[0-9]{6}"))) << code;
  EXPECT_EQ(first["activation"]["message"], "Enter the code at the console\n" + code);
  EXPECT_FALSE(first["activation"]["challenge"].get<std::string>().empty())
      << "a challenge makes the firmware poll /activate every 3 s";
  EXPECT_TRUE(first.contains("websocket"));

  auto poll = srv.activate();
  EXPECT_EQ(poll.status, 202) << poll.body;
  EXPECT_EQ(poll.header("Access-Control-Allow-Origin"), "*");

  // The firmware re-checks after its polls: the same code, not a new one.
  EXPECT_EQ(srv.check_json()["activation"]["code"], code);

  auto listed = run_devices(srv, {"list"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(kDeviceId), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("pending"), std::string::npos) << listed.out;

  auto bound = run_devices(srv, {"bind", code});
  EXPECT_EQ(bound.exit_code, 0) << bound.err;
  EXPECT_NE(bound.out.find(kDeviceId), std::string::npos) << bound.out;

  EXPECT_EQ(srv.activate().status, 200);
  auto after = srv.check_json();
  EXPECT_FALSE(after.contains("activation")) << after.dump();

  EXPECT_NE(run_devices(srv, {"list"}).out.find("bound"), std::string::npos);
  EXPECT_EQ(run_devices(srv, {"bind", code}).exit_code, 1) << "a code binds once";
}

TEST(Activation, BindThroughTheAdminApi) {
  OtaServer srv(activation_on());
  const std::string code = srv.check_json()["activation"]["code"];
  const std::string body = nlohmann::json{{"code", code}}.dump();

  EXPECT_EQ(admin(srv, "POST", "/api/devices/bind", body, "").status, 401);
  EXPECT_EQ(admin(srv, "POST", "/api/devices/bind", body, "wrong-token").status, 403);
  EXPECT_EQ(srv.activate().status, 202) << "refused calls changed nothing";

  auto listed = admin(srv, "GET", "/api/devices", "", kAdminToken);
  ASSERT_EQ(listed.status, 200);
  auto devices = nlohmann::json::parse(listed.body)["devices"];
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0]["device_id"], kDeviceId);
  EXPECT_EQ(devices[0]["activation"], "pending");
  EXPECT_EQ(devices[0]["board"], "bread-compact-wifi");

  auto r = admin(srv, "POST", "/api/devices/bind", body, kAdminToken);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["device_id"], kDeviceId);

  EXPECT_EQ(srv.activate().status, 200);
  EXPECT_FALSE(srv.check_json().contains("activation"));
  auto again = nlohmann::json::parse(admin(srv, "GET", "/api/devices", "", kAdminToken).body);
  EXPECT_EQ(again["devices"][0]["activation"], "bound");
  EXPECT_EQ(again["devices"][0]["bound_at"], xz::test::kPinnedMs / 1000);
}

TEST(Activation, AdminApiRefusesBadBodiesAndUnknownOrExpiredCodes) {
  OtaServer srv(activation_on());
  const std::string code = srv.check_json()["activation"]["code"];
  EXPECT_EQ(admin(srv, "POST", "/api/devices/bind", "{not json", kAdminToken).status, 400);
  EXPECT_EQ(admin(srv, "POST", "/api/devices/bind", R"({"code": 123456})", kAdminToken).status, 400);
  const std::string other = code == "000000" ? "000001" : "000000";
  EXPECT_EQ(admin(srv, "POST", "/api/devices/bind", nlohmann::json{{"code", other}}.dump(), kAdminToken).status, 404);

  srv.advance_clock(std::chrono::seconds(601));
  auto r = admin(srv, "POST", "/api/devices/bind", nlohmann::json{{"code", code}}.dump(), kAdminToken);
  EXPECT_EQ(r.status, 410) << r.body;
  EXPECT_EQ(srv.activate().status, 202);
  // The next check hands out a fresh code.
  auto j = srv.check_json();
  ASSERT_TRUE(j.contains("activation"));
  EXPECT_EQ(
      admin(srv, "POST", "/api/devices/bind", nlohmann::json{{"code", j["activation"]["code"]}}.dump(), kAdminToken)
          .status,
      200);
}

TEST(Activation, CliExitCodes) {
  OtaServer srv(activation_on());
  const std::string pending = srv.check_json()["activation"]["code"];
  const std::string other = pending == "999999" ? "999998" : "999999";
  auto unknown = run_devices(srv, {"bind", other});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find(other), std::string::npos) << unknown.err;
  EXPECT_EQ(run_devices(srv, {"bind", "12ab"}).exit_code, 2);
  EXPECT_EQ(run_devices(srv, {"bind"}).exit_code, 2);
  EXPECT_EQ(run_devices(srv, {"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run_devices(srv, {}).exit_code, 2);
  EXPECT_EQ(srv.activate().status, 202) << "nothing above bound the device";
}

TEST(Activation, CliOnAnEmptyDataDirectory) {
  auto dir = xz::test::fresh_dir("cli");
  nlohmann::json root;
  xz::core::set_path(root, "log.data_dir", dir + "/data");
  xz::core::Config cfg(root);
  std::ostringstream out;
  auto* old = std::cout.rdbuf(out.rdbuf());
  int rc = xz::apps::run_command(cfg, {"devices", "list"});
  std::cout.rdbuf(old);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out.str().find("no devices"), std::string::npos) << out.str();
  EXPECT_FALSE(std::filesystem::exists(dir + "/data/xiaozhi.db")) << "listing creates nothing";

  std::ostringstream err;
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  rc = xz::apps::run_command(cfg, {"devices", "bind", "123456"});
  std::cerr.rdbuf(old_err);
  EXPECT_EQ(rc, 1);
  std::filesystem::remove_all(dir);
}

TEST(Activation, OffMeansNoCodeAndActivateAnswers200) {
  OtaServer srv;
  EXPECT_FALSE(srv.check_json().contains("activation"));
  EXPECT_EQ(srv.activate().status, 200);
}

TEST(Activation, ActivateValidatesItsRequest) {
  OtaServer srv(activation_on());
  auto h = xz::test::firmware_headers();
  h.erase(h.begin() + 1);  // Device-Id
  EXPECT_EQ(http_request(srv.port(), "POST", "/xiaozhi/ota/activate", "{}", h).status, 400);
  EXPECT_EQ(srv.activate(kDeviceId, "{oops").status, 400);
  EXPECT_EQ(srv.activate(kDeviceId, std::string(70000, ' ') + "{}").status, 413);
  // Boards with an eFuse serial send this body (Activation-Version 2).
  srv.check_json();
  auto v2 =
      srv.activate(kDeviceId, R"({"algorithm":"hmac-sha256","serial_number":"SN0123456789ABCDEF0123456789ABCD",)"
                              R"("challenge":"c","hmac":"00"})");
  EXPECT_EQ(v2.status, 202);
  EXPECT_EQ(srv.activate("11:22:33:44:55:66").status, 202) << "a device that never checked in is not activated";
}

TEST(Activation, AdminApiIsAbsentWithoutAToken) {
  OtaServer srv(Overrides{{"server.activation.enabled", true}});
  EXPECT_EQ(admin(srv, "GET", "/api/devices", "", "anything").status, 404);
  EXPECT_EQ(admin(srv, "POST", "/api/devices/bind", R"({"code":"123456"})", "").status, 404);
}

TEST(Activation, DevicesBoundStayBoundAcrossARestart) {
  std::string code;
  auto dir = xz::test::fresh_dir("restart");
  {
    // Same data directory for two server lifetimes.
    OtaServer srv(Overrides{{"server.activation.enabled", true}, {"log.data_dir", dir}});
    code = srv.check_json()["activation"]["code"];
    EXPECT_EQ(run_devices(srv, {"bind", code}).exit_code, 0);
  }
  {
    OtaServer srv(Overrides{{"server.activation.enabled", true}, {"log.data_dir", dir}});
    EXPECT_FALSE(srv.check_json().contains("activation"));
    EXPECT_EQ(srv.activate().status, 200);
  }
  std::filesystem::remove_all(dir);
}
