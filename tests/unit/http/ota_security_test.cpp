// The OTA endpoint's part of "secure by default": a device that must activate gets its
// code and no token, allowed devices need no activation, ids that could shift the
// token's '|' separator are refused, and bodies above the route's limit are refused on
// the header.
#include <gtest/gtest.h>

#include "ota_fixture.h"
#include "support/raw_client.h"

using namespace std::chrono_literals;
using xz::test::firmware_headers;
using xz::test::http_request;
using xz::test::kDeviceId;
using xz::test::OtaServer;
using xz::test::Overrides;
using xz::test::RawConnection;

TEST(OtaSecurity, DeviceThatMustActivateGetsNoToken) {
  OtaServer srv(Overrides{{"server.auth.enabled", true},
                          {"server.auth_key", "ota-security-key"},
                          {"server.activation.enabled", true}});
  auto j = srv.check_json();
  ASSERT_TRUE(j.contains("activation")) << j.dump();
  EXPECT_EQ(j["websocket"]["token"], "") << "a token now would let it talk before it is bound";
  EXPECT_TRUE(j["websocket"].contains("url")) << "the rest of the block stays for the firmware's NVS";
}

TEST(OtaSecurity, AllowedDevicesNeedNoActivation) {
  OtaServer srv(Overrides{{"server.activation.enabled", true},
                          {"server.auth.allowed_devices", nlohmann::json::array({"AA-BB-CC-DD-EE-FF"})}});
  EXPECT_FALSE(srv.check_json().contains("activation"));
  EXPECT_TRUE(srv.check_json("2.4.2", "11:22:33:44:55:66").contains("activation"));
}

TEST(OtaSecurity, ClientIdWithTheTokenSeparatorIsRefused) {
  OtaServer srv(Overrides{{"server.auth.enabled", true}});
  auto r = http_request(srv.port(), "POST", "/xiaozhi/ota/", "{}", firmware_headers(kDeviceId, "client|other"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("'|'"), std::string::npos) << r.body;
  auto d = http_request(srv.port(), "POST", "/xiaozhi/ota/", "{}", firmware_headers("aa|bb", "client"));
  EXPECT_EQ(d.status, 400) << d.body;
}

TEST(OtaSecurity, BodiesAboveTheRouteLimitAreRefusedOnTheHeader) {
  OtaServer srv;  // the listener's own default is 1 MiB; OTA and activation allow 64 KiB
  for (const char* path : {"/xiaozhi/ota/", "/xiaozhi/ota/activate"}) {
    RawConnection c(srv.port());
    c.send(std::string("POST ") + path + " HTTP/1.1\r\nHost: x\r\nDevice-Id: " + kDeviceId +
           "\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n");
    auto r = c.read_for(3s, "\r\n\r\n");
    EXPECT_EQ(RawConnection::status_of(r.data), 413) << path << ": " << r.data;
  }
}
