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
