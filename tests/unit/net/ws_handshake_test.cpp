#include "net/ws_handshake.h"

#include <gtest/gtest.h>

#include "protocol/encoding.h"

using namespace xz::net::ws;
using xz::net::HttpRequest;

namespace {

HttpRequest upgrade(std::string key = "dGhlIHNhbXBsZSBub25jZQ==", std::string version = "13") {
  HttpRequest r;
  r.method = "GET";
  r.target = r.path = "/xiaozhi/v1/";
  r.headers = {{"host", "server.example.com"},
               {"upgrade", "websocket"},
               {"connection", "keep-alive, Upgrade"},
               {"sec-websocket-key", key},
               {"sec-websocket-version", version}};
  return r;
}

}  // namespace

TEST(WsHandshake, AcceptKeyOfTheRfcExample) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsHandshake, AcceptsAValidUpgradeWithTheRightKey) {
  auto a = answer_upgrade(upgrade(), "xiaozhi-server");
  ASSERT_EQ(a.status, 101) << a.error;
  EXPECT_EQ(a.response.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u);
  EXPECT_NE(a.response.find("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos);
  EXPECT_NE(a.response.find("\r\nUpgrade: websocket\r\n"), std::string::npos);
  EXPECT_NE(a.response.find("\r\nServer: xiaozhi-server\r\n"), std::string::npos);
  EXPECT_EQ(a.response.substr(a.response.size() - 4), "\r\n\r\n");
}

TEST(WsHandshake, RejectsBadUpgrades) {
  EXPECT_EQ(answer_upgrade(upgrade("dGhlIHNhbXBsZSBub25jZQ==", "8"), "").status, 426);
  EXPECT_EQ(answer_upgrade(upgrade(""), "").status, 400);
  EXPECT_EQ(answer_upgrade(upgrade("c2hvcnQ="), "").status, 400);  // decodes to 5 bytes, not 16
  auto post = upgrade();
  post.method = "POST";
  EXPECT_FALSE(is_upgrade_request(post));
  EXPECT_EQ(answer_upgrade(post, "").status, 400);
  auto no_connection = upgrade();
  no_connection.headers["connection"] = "keep-alive";
  EXPECT_FALSE(is_upgrade_request(no_connection));
  EXPECT_NE(answer_upgrade(no_connection, "").error, "");
}

TEST(WsHandshake, HeaderTokensAreCaseInsensitiveAndCommaSeparated) {
  EXPECT_TRUE(header_has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(header_has_token("WebSocket", "websocket"));
  EXPECT_FALSE(header_has_token("upgrades", "upgrade"));
  EXPECT_FALSE(header_has_token("", "upgrade"));
}

TEST(WsHandshake, ClientRequestCarriesTheKeyAndHeaders) {
  auto key = make_client_key();
  auto raw = xz::protocol::base64_decode(key);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->size(), 16u);
  EXPECT_NE(make_client_key(), key);
  auto req = upgrade_request("127.0.0.1:8000", "/xiaozhi/v1/?a=b", key, {{"Device-Id", "aa:bb"}});
  EXPECT_EQ(req.rfind("GET /xiaozhi/v1/?a=b HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n", 0), 0u);
  EXPECT_NE(req.find("\r\nSec-WebSocket-Key: " + key + "\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nDevice-Id: aa:bb\r\n"), std::string::npos);
  EXPECT_THROW(upgrade_request("h", "/", key, {{"X", "a\r\nEvil: 1"}}), std::invalid_argument);
}

TEST(WsHandshake, ChecksTheServersAnswer) {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  UpgradeResponse ok{101, "websocket", "Upgrade", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", ""};
  EXPECT_EQ(check_upgrade_response(ok, key), std::nullopt);
  auto declined = ok;
  declined.status = 401;
  EXPECT_NE(check_upgrade_response(declined, key), std::nullopt);
  auto wrong_accept = ok;
  wrong_accept.accept = "AAAA";
  EXPECT_NE(check_upgrade_response(wrong_accept, key), std::nullopt);
  auto extension = ok;
  extension.extensions = "permessage-deflate";
  EXPECT_NE(check_upgrade_response(extension, key), std::nullopt);
}
