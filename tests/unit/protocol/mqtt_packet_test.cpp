// MQTT 3.1.1 codec against byte vectors written from the specification (OASIS MQTT
// 3.1.1, §2 fixed header and remaining length, §3 each packet's layout).
#include <gtest/gtest.h>

#include "protocol/mqtt_packet.h"

using namespace xz::protocol::mqtt;
using namespace std::string_literals;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

Packet one_packet(const std::string& wire, std::size_t limit = 1 << 20) {
  PacketReader r(limit);
  r.feed(wire);
  auto p = r.next();
  EXPECT_TRUE(p) << r.error();
  EXPECT_FALSE(r.next());
  EXPECT_EQ(r.buffered(), 0u);
  return p.value_or(Packet{});
}

// A CONNECT as the firmware's esp-mqtt sends it: MQTT level 4, clean session, keep
// alive 240, user name and password.
const std::string kDeviceConnect =
    bytes({0x10, 0x1a, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xc2, 0x00, 0xf0,  // header, flags, keep alive
           0x00, 0x04, 'G', '@', '@', 'x',                                       // client id
           0x00, 0x02, 'u', 's',                                                 // user name
           0x00, 0x04, 'p', 'w', 0x00, 0xff});                                   // password (binary)

}  // namespace

TEST(MqttRemainingLength, EncodesTheSpecBoundaries) {
  // §2.2.3: 1 to 4 bytes, 7 bits each, least significant first.
  EXPECT_EQ(encode_fixed_header(PacketType::publish, 0, 0), bytes({0x30, 0x00}));
  EXPECT_EQ(encode_fixed_header(PacketType::publish, 0, 127), bytes({0x30, 0x7f}));
  EXPECT_EQ(encode_fixed_header(PacketType::publish, 0, 128), bytes({0x30, 0x80, 0x01}));
  EXPECT_EQ(encode_fixed_header(PacketType::publish, 0, 16383), bytes({0x30, 0xff, 0x7f}));
  EXPECT_EQ(encode_fixed_header(PacketType::publish, 0, 16384), bytes({0x30, 0x80, 0x80, 0x01}));
  EXPECT_EQ(encode_fixed_header(PacketType::publish, 0, 2097151), bytes({0x30, 0xff, 0xff, 0x7f}));
  EXPECT_EQ(encode_fixed_header(PacketType::publish, 0, 2097152), bytes({0x30, 0x80, 0x80, 0x80, 0x01}));
  EXPECT_EQ(encode_fixed_header(PacketType::publish, 0, kMaxRemainingLength), bytes({0x30, 0xff, 0xff, 0xff, 0x7f}));
  EXPECT_THROW(encode_fixed_header(PacketType::publish, 0, kMaxRemainingLength + 1), std::invalid_argument);
}

TEST(MqttPacketReader, FramesPacketsFedOneByteAtATime) {
  const std::string wire = kDeviceConnect + encode_pingreq() + encode_publish({"t", std::string(200, 'x')});
  PacketReader r(1024);
  std::vector<Packet> got;
  for (char c : wire) {
    r.feed(std::string_view(&c, 1));
    while (auto p = r.next()) got.push_back(std::move(*p));
  }
  ASSERT_FALSE(r.failed()) << r.error();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].type, PacketType::connect);
  EXPECT_EQ(got[0].body, kDeviceConnect.substr(2));
  EXPECT_EQ(got[1].type, PacketType::pingreq);
  EXPECT_EQ(got[2].type, PacketType::publish);
  EXPECT_EQ(got[2].body.size(), 3u + 200u);  // two-byte remaining length (203)
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(MqttPacketReader, RefusesAFifthLengthByte) {
  PacketReader r(1 << 30);
  r.feed(bytes({0x30, 0xff, 0xff, 0xff, 0xff, 0x01}));
  EXPECT_FALSE(r.next());
  EXPECT_TRUE(r.failed());
  EXPECT_NE(r.error().find("four bytes"), std::string::npos);
}

TEST(MqttPacketReader, RefusesReservedTypes) {
  for (int first : {0x00, 0xf0}) {
    PacketReader r(1024);
    r.feed(bytes({first, 0x00}));
    EXPECT_FALSE(r.next());
    EXPECT_TRUE(r.failed()) << first;
  }
}

TEST(MqttPacketReader, RefusesAnOversizePacketFromItsHeaderAlone) {
  PacketReader r(100);
  // 1 + 1 + 98 = 100 bytes passes; 101 does not, before any body byte arrives.
  r.feed(encode_fixed_header(PacketType::publish, 0, 98) + std::string(98, 'a'));
  EXPECT_TRUE(r.next());
  r.feed(encode_fixed_header(PacketType::publish, 0, 99));
  EXPECT_FALSE(r.next());
  EXPECT_TRUE(r.failed());
  EXPECT_TRUE(r.oversize());
  EXPECT_NE(r.error().find("above the limit of 100"), std::string::npos) << r.error();
  r.feed("more");  // ignored once failed
  EXPECT_FALSE(r.next());
}

TEST(MqttPacketReader, WaitsForAnIncompleteLength) {
  PacketReader r(1 << 20);
  r.feed(bytes({0x30, 0x80}));
  EXPECT_FALSE(r.next());
  EXPECT_FALSE(r.failed());
  r.feed(bytes({0x01}));  // 128 bytes follow
  EXPECT_FALSE(r.next());
  r.feed(std::string(128, 'z'));
  auto p = r.next();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->body.size(), 128u);
}

TEST(MqttConnect, DecodesTheFirmwaresConnect) {
  DecodeError err;
  const auto c = decode_connect(one_packet(kDeviceConnect), &err);
  ASSERT_TRUE(c) << err.message;
  EXPECT_EQ(c->protocol_name, "MQTT");
  EXPECT_EQ(c->protocol_level, 4);
  EXPECT_TRUE(c->clean_session);
  EXPECT_EQ(c->keep_alive_seconds, 240);
  EXPECT_EQ(c->client_id, "G@@x");
  EXPECT_EQ(c->username, "us");
  EXPECT_EQ(c->password, "pw\0\xff"s);
  EXPECT_FALSE(c->will);
  EXPECT_EQ(encode_connect(*c), kDeviceConnect);
}

TEST(MqttConnect, DecodesAWillAnd31) {
  const std::string fixed = bytes({0x10, 0x17, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03,
                                  0x2e,  // will retain, will QoS 1, will, clean session
                                  0x00, 0x0a, 0x00, 0x01, 'c', 0x00, 0x01, 'w', 0x00, 0x03, 'b', 'y', 'e'});
  DecodeError err;
  const auto c = decode_connect(one_packet(fixed), &err);
  ASSERT_TRUE(c) << err.message;
  EXPECT_EQ(c->protocol_name, "MQIsdp");
  EXPECT_EQ(c->protocol_level, 3);
  EXPECT_EQ(c->keep_alive_seconds, 10);
  ASSERT_TRUE(c->will);
  EXPECT_EQ(c->will->topic, "w");
  EXPECT_EQ(c->will->message, "bye");
  EXPECT_EQ(c->will->qos, 1);
  EXPECT_TRUE(c->will->retain);
  EXPECT_FALSE(c->username);
  EXPECT_EQ(encode_connect(*c), fixed);
}

TEST(MqttConnect, RefusesBrokenConnects) {
  auto with_flags = [](int flags) {
    return bytes({0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, flags, 0x00, 0x3c, 0x00, 0x01, 'c'});
  };
  auto refused = [](const std::string& wire) {
    PacketReader r(1024);
    r.feed(wire);
    auto p = r.next();
    if (!p) return std::string("framing: ") + r.error();
    DecodeError err;
    return decode_connect(*p, &err) ? std::string() : err.message;
  };
  EXPECT_EQ(refused(with_flags(0x02)), "");
  EXPECT_NE(refused(with_flags(0x03)).find("reserved flag"), std::string::npos);
  EXPECT_NE(refused(with_flags(0x02 | 0x08)).find("no will"), std::string::npos);  // will QoS without will
  EXPECT_NE(refused(with_flags(0x02 | 0x20)).find("no will"), std::string::npos);  // will retain without will
  EXPECT_NE(refused(with_flags(0x42)).find("no user name"), std::string::npos);    // password, no user name
  EXPECT_NE(refused(with_flags(0x82)).find("user name"), std::string::npos);       // user name flag, no field
  // Reserved fixed-header flags on CONNECT.
  std::string bad_head = with_flags(0x02);
  bad_head[0] = 0x11;
  EXPECT_NE(refused(bad_head).find("reserved header flags"), std::string::npos);
  // Bytes after the payload.
  std::string trailing = with_flags(0x02) + "x";
  trailing[1] = 0x0e;
  EXPECT_NE(refused(trailing).find("after its payload"), std::string::npos);
  // Client id running past the packet.
  std::string short_id = with_flags(0x02);
  short_id[13] = 0x05;
  EXPECT_NE(refused(short_id).find("runs past"), std::string::npos);
  // A client id with U+0000 or ill-formed UTF-8.
  std::string nul_id = with_flags(0x02);
  nul_id[14] = 0;
  EXPECT_NE(refused(nul_id).find("UTF-8"), std::string::npos);
  std::string bad_utf8 = with_flags(0x02);
  bad_utf8[14] = static_cast<char>(0xc3);
  EXPECT_NE(refused(bad_utf8).find("UTF-8"), std::string::npos);
  // Unknown protocol name: closed without an answer.
  std::string other = with_flags(0x02);
  other[4] = 'X';
  EXPECT_NE(refused(other).find("protocol name"), std::string::npos);
}

TEST(MqttConnect, AnUnknownLevelIsAnsweredWithCode1) {
  const std::string level5 = bytes({0x10, 0x0d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3c, 0x00, 0x01, 'c'});
  DecodeError err;
  EXPECT_FALSE(decode_connect(one_packet(level5), &err));
  ASSERT_TRUE(err.refuse);
  EXPECT_EQ(*err.refuse, ConnackCode::unacceptable_protocol_version);
  // Malformed packets carry no code: they are closed without an answer.
  DecodeError err2;
  EXPECT_FALSE(decode_connect(one_packet(bytes({0x10, 0x01, 0x00})), &err2));
  EXPECT_FALSE(err2.refuse);
}

TEST(MqttPublish, DecodesEachQos) {
  // QoS 0, topic "a/b", payload "{}".
  const std::string q0 = bytes({0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', '{', '}'});
  DecodeError err;
  auto p = decode_publish(one_packet(q0), &err);
  ASSERT_TRUE(p) << err.message;
  EXPECT_EQ(p->topic, "a/b");
  EXPECT_EQ(p->payload, "{}");
  EXPECT_EQ(p->qos, 0);
  EXPECT_EQ(p->packet_id, 0);
  EXPECT_EQ(encode_publish(*p), q0);
  // QoS 1, retain, packet id 0x1234, empty payload.
  const std::string q1 = bytes({0x33, 0x05, 0x00, 0x01, 't', 0x12, 0x34});
  p = decode_publish(one_packet(q1), &err);
  ASSERT_TRUE(p) << err.message;
  EXPECT_EQ(p->qos, 1);
  EXPECT_TRUE(p->retain);
  EXPECT_EQ(p->packet_id, 0x1234);
  EXPECT_EQ(p->payload, "");
  EXPECT_EQ(encode_publish(*p), q1);
  // QoS 2 with DUP.
  const std::string q2 = bytes({0x3c, 0x06, 0x00, 0x01, 't', 0x00, 0x07, 'x'});
  p = decode_publish(one_packet(q2), &err);
  ASSERT_TRUE(p) << err.message;
  EXPECT_EQ(p->qos, 2);
  EXPECT_TRUE(p->dup);
  EXPECT_EQ(encode_publish(*p), q2);
}

TEST(MqttPublish, RefusesBrokenPublishes) {
  auto refused = [](const std::string& wire) {
    DecodeError err;
    return decode_publish(one_packet(wire), &err) ? std::string() : err.message;
  };
  EXPECT_NE(refused(bytes({0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01})).find("QoS 3"), std::string::npos);
  EXPECT_NE(refused(bytes({0x38, 0x03, 0x00, 0x01, 't'})).find("DUP"), std::string::npos);
  EXPECT_NE(refused(bytes({0x32, 0x05, 0x00, 0x01, 't', 0x00, 0x00})).find("packet id 0"), std::string::npos);
  EXPECT_NE(refused(bytes({0x32, 0x04, 0x00, 0x01, 't', 0x00})).find("packet id"), std::string::npos);
  EXPECT_NE(refused(bytes({0x30, 0x02, 0x00, 0x00})).find("empty topic"), std::string::npos);
  EXPECT_NE(refused(bytes({0x30, 0x03, 0x00, 0x01, '#'})).find("wildcards"), std::string::npos);
  EXPECT_NE(refused(bytes({0x30, 0x03, 0x00, 0x05, 't'})).find("runs past"), std::string::npos);
}

TEST(MqttSubscribe, DecodesAndAnswers) {
  // Packet id 10, "a/#" QoS 1, "b" QoS 0.
  const std::string sub = bytes({0x82, 0x0c, 0x00, 0x0a, 0x00, 0x03, 'a', '/', '#', 0x01, 0x00, 0x01, 'b', 0x00});
  DecodeError err;
  auto s = decode_subscribe(one_packet(sub), &err);
  ASSERT_TRUE(s) << err.message;
  EXPECT_EQ(s->packet_id, 10);
  ASSERT_EQ(s->topics.size(), 2u);
  EXPECT_EQ(s->topics[0].filter, "a/#");
  EXPECT_EQ(s->topics[0].qos, 1);
  EXPECT_EQ(s->topics[1].filter, "b");
  EXPECT_EQ(encode_subscribe(*s), sub);
  EXPECT_EQ(encode_suback({10, {1, 0}}), bytes({0x90, 0x04, 0x00, 0x0a, 0x01, 0x00}));
  auto ack = decode_suback(one_packet(bytes({0x90, 0x04, 0x00, 0x0a, 0x01, 0x80})), &err);
  ASSERT_TRUE(ack) << err.message;
  EXPECT_EQ(ack->return_codes, (std::vector<std::uint8_t>{1, 0x80}));
  // Flags other than 0b0010, no topic, a reserved QoS byte: refused.
  EXPECT_FALSE(decode_subscribe(one_packet(bytes({0x80, 0x06, 0x00, 0x0a, 0x00, 0x01, 'b', 0x00})), &err));
  EXPECT_FALSE(decode_subscribe(one_packet(bytes({0x82, 0x02, 0x00, 0x0a})), &err));
  EXPECT_FALSE(decode_subscribe(one_packet(bytes({0x82, 0x06, 0x00, 0x0a, 0x00, 0x01, 'b', 0x04})), &err));
  EXPECT_FALSE(decode_subscribe(one_packet(bytes({0x82, 0x06, 0x00, 0x00, 0x00, 0x01, 'b', 0x00})), &err));
  EXPECT_FALSE(decode_suback(one_packet(bytes({0x90, 0x03, 0x00, 0x0a, 0x03})), &err));
}

TEST(MqttUnsubscribe, DecodesAndAnswers) {
  const std::string unsub = bytes({0xa2, 0x05, 0x00, 0x0b, 0x00, 0x01, 'b'});
  DecodeError err;
  auto u = decode_unsubscribe(one_packet(unsub), &err);
  ASSERT_TRUE(u) << err.message;
  EXPECT_EQ(u->packet_id, 11);
  EXPECT_EQ(u->filters, std::vector<std::string>{"b"});
  EXPECT_EQ(encode_unsubscribe(*u), unsub);
  EXPECT_EQ(encode_unsuback(11), bytes({0xb0, 0x02, 0x00, 0x0b}));
  EXPECT_EQ(decode_unsuback(one_packet(encode_unsuback(11)), &err), 11);
  EXPECT_FALSE(decode_unsubscribe(one_packet(bytes({0xa2, 0x02, 0x00, 0x0b})), &err));
}

TEST(MqttSmallPackets, MatchTheSpec) {
  EXPECT_EQ(encode_connack({false, ConnackCode::accepted}), bytes({0x20, 0x02, 0x00, 0x00}));
  EXPECT_EQ(encode_connack({true, ConnackCode::bad_username_or_password}), bytes({0x20, 0x02, 0x01, 0x04}));
  EXPECT_EQ(encode_connack({false, ConnackCode::not_authorized}), bytes({0x20, 0x02, 0x00, 0x05}));
  EXPECT_EQ(encode_puback(0x0102), bytes({0x40, 0x02, 0x01, 0x02}));
  EXPECT_EQ(encode_pingreq(), bytes({0xc0, 0x00}));
  EXPECT_EQ(encode_pingresp(), bytes({0xd0, 0x00}));
  EXPECT_EQ(encode_disconnect(), bytes({0xe0, 0x00}));

  DecodeError err;
  auto ack = decode_connack(one_packet(bytes({0x20, 0x02, 0x01, 0x05})), &err);
  ASSERT_TRUE(ack) << err.message;
  EXPECT_TRUE(ack->session_present);
  EXPECT_EQ(ack->code, ConnackCode::not_authorized);
  EXPECT_FALSE(decode_connack(one_packet(bytes({0x20, 0x02, 0x02, 0x00})), &err));  // reserved ack flags
  EXPECT_FALSE(decode_connack(one_packet(bytes({0x20, 0x02, 0x00, 0x06})), &err));  // unknown code
  EXPECT_FALSE(decode_connack(one_packet(bytes({0x20, 0x03, 0x00, 0x00, 0x00})), &err));
  EXPECT_EQ(decode_puback(one_packet(encode_puback(7)), &err), 7);
  EXPECT_FALSE(decode_puback(one_packet(bytes({0x42, 0x02, 0x00, 0x07})), &err));  // reserved flags

  EXPECT_TRUE(check_empty_packet(one_packet(encode_pingreq()), PacketType::pingreq, &err));
  EXPECT_TRUE(check_empty_packet(one_packet(encode_disconnect()), PacketType::disconnect, &err));
  EXPECT_FALSE(check_empty_packet(one_packet(bytes({0xc1, 0x00})), PacketType::pingreq, &err));
  EXPECT_FALSE(check_empty_packet(one_packet(bytes({0xd0, 0x01, 0x00})), PacketType::pingresp, &err));
  EXPECT_FALSE(check_empty_packet(one_packet(encode_pingreq()), PacketType::disconnect, &err));
  EXPECT_NE(err.message.find("expected DISCONNECT"), std::string::npos);
}
