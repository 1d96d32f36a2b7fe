#include <gtest/gtest.h>

#include "protocol/encoding.h"
#include "protocol/mqtt_credentials.h"

using namespace xz::protocol;

// From ../shared/spec/test-vectors.json "mqtt_credentials" (reference server 0.9.6, board
// model "bread-compact-wifi", device aa:bb:cc:dd:ee:ff, user data {"ip": "unknown"}).
TEST(MqttCredentials, ReproducesTheReferenceVector) {
  const auto user_data = mqtt_user_data("unknown");
  EXPECT_EQ(user_data, R"({"ip": "unknown"})");
  const auto c = make_mqtt_credentials("mqtt-signature-key", "bread-compact-wifi", "aa:bb:cc:dd:ee:ff", user_data);
  EXPECT_EQ(c.client_id, "GID_bread-compact-wifi@@@aa_bb_cc_dd_ee_ff@@@aa_bb_cc_dd_ee_ff");
  EXPECT_EQ(c.username, "eyJpcCI6ICJ1bmtub3duIn0=");
  EXPECT_EQ(c.password, "7wjGxJBnuLuXnGZxCzoJGa/z1JRAWqRoe2byq/PCP+w=");
}

TEST(MqttCredentials, ModelSpacesAndColonsBecomeUnderscores) {
  const auto c = make_mqtt_credentials("k", "my board:v2", "11:22:33:44:55:66", "{}");
  EXPECT_EQ(c.client_id, "GID_my_board_v2@@@11_22_33_44_55_66@@@11_22_33_44_55_66");
  EXPECT_EQ(base64_decode(c.username).value(), "{}");
  // The password signs client id and username; either changing breaks it.
  EXPECT_EQ(base64_decode(c.password).value(), hmac_sha256("k", c.client_id + "|" + c.username));
  EXPECT_NE(make_mqtt_credentials("k", "other", "11:22:33:44:55:66", "{}").password, c.password);
  EXPECT_NE(make_mqtt_credentials("k2", "my board:v2", "11:22:33:44:55:66", "{}").password, c.password);
}

TEST(MqttCredentials, NoSignatureKeyMeansNoPassword) {
  EXPECT_EQ(make_mqtt_credentials("", "m", "aa:bb", "{}").password, "");
}

// The server's side of the same vector: the issued password passes, any change fails.
TEST(MqttCredentials, ChecksTheReferenceVectorsPassword) {
  const std::string id = "GID_bread-compact-wifi@@@aa_bb_cc_dd_ee_ff@@@aa_bb_cc_dd_ee_ff";
  const std::string user = "eyJpcCI6ICJ1bmtub3duIn0=";
  const std::string pw = "7wjGxJBnuLuXnGZxCzoJGa/z1JRAWqRoe2byq/PCP+w=";
  EXPECT_TRUE(check_mqtt_password("mqtt-signature-key", id, user, pw));
  EXPECT_FALSE(check_mqtt_password("mqtt-signature-key", id, user, pw.substr(1)));
  EXPECT_FALSE(check_mqtt_password("mqtt-signature-key", id, user + "x", pw));
  EXPECT_FALSE(check_mqtt_password("mqtt-signature-key", id + "x", user, pw));
  EXPECT_FALSE(check_mqtt_password("other-key", id, user, pw));
  EXPECT_FALSE(check_mqtt_password("mqtt-signature-key", id, user, ""));
  // Without a key nothing is checked, so nobody is let in.
  EXPECT_FALSE(check_mqtt_password("", id, user, ""));
}

TEST(MqttCredentials, ParsesTheOfficialClientId) {
  const auto id = parse_mqtt_client_id("GID_test@@@f4_12_fa_b9_3b_94@@@bad76396-1c3e");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->group_id, "GID_test");
  EXPECT_EQ(id->device_id, "f4:12:fa:b9:3b:94");
  EXPECT_EQ(id->mac_topic, "f4_12_fa_b9_3b_94");
  EXPECT_EQ(id->uuid, "bad76396-1c3e");
  EXPECT_FALSE(parse_mqtt_client_id("GID_test@@@f4_12_fa_b9_3b_94"));
  EXPECT_FALSE(parse_mqtt_client_id("a@@@b@@@c@@@d"));
  EXPECT_FALSE(parse_mqtt_client_id("@@@b@@@c"));
  EXPECT_FALSE(parse_mqtt_client_id("a@@@b@@@"));
  EXPECT_FALSE(parse_mqtt_client_id(""));
}
