// MQTT 3.1.1 packets (protocol/mqtt_packet): what a device sends on its MQTT connection
// (and what a server sends to our client). The stream is framed twice, whole and cut
// into pieces by the first byte, and must give the same packets; every packet goes to
// the decoder for its type, and what decodes re-encodes to the same body.
#include "fuzz/fuzz_check.h"
#include "protocol/mqtt_packet.h"

using namespace xz::protocol::mqtt;

namespace {

constexpr std::size_t kLimit = 4096;

void check_round_trip(const Packet& p, const std::string& encoded) {
  PacketReader r(1 << 20);
  r.feed(encoded);
  const auto again = r.next();
  FUZZ_CHECK(again && r.buffered() == 0);
  FUZZ_CHECK(again->type == p.type && again->flags == p.flags && again->body == p.body);
}

void decode(const Packet& p) {
  DecodeError err;
  switch (p.type) {
    case PacketType::connect:
      if (auto c = decode_connect(p, &err)) check_round_trip(p, encode_connect(*c));
      else FUZZ_CHECK(!err.message.empty());
      break;
    case PacketType::publish:
      if (auto m = decode_publish(p, &err)) {
        FUZZ_CHECK(m->qos <= 2 && (m->qos == 0) == (m->packet_id == 0));
        check_round_trip(p, encode_publish(*m));
      } else FUZZ_CHECK(!err.message.empty());
      break;
    case PacketType::subscribe:
      if (auto s = decode_subscribe(p, &err)) check_round_trip(p, encode_subscribe(*s));
      else FUZZ_CHECK(!err.message.empty());
      break;
    case PacketType::unsubscribe:
      if (auto u = decode_unsubscribe(p, &err)) check_round_trip(p, encode_unsubscribe(*u));
      else FUZZ_CHECK(!err.message.empty());
      break;
    case PacketType::connack:
      if (auto c = decode_connack(p, &err)) check_round_trip(p, encode_connack(*c));
      else FUZZ_CHECK(!err.message.empty());
      break;
    case PacketType::suback:
      if (auto s = decode_suback(p, &err)) check_round_trip(p, encode_suback(*s));
      else FUZZ_CHECK(!err.message.empty());
      break;
    case PacketType::puback:
      if (auto id = decode_puback(p, &err)) check_round_trip(p, encode_puback(*id));
      else FUZZ_CHECK(!err.message.empty());
      break;
    case PacketType::unsuback:
      if (auto id = decode_unsuback(p, &err)) check_round_trip(p, encode_unsuback(*id));
      else FUZZ_CHECK(!err.message.empty());
      break;
    case PacketType::pingreq:
    case PacketType::pingresp:
    case PacketType::disconnect:
      if (!check_empty_packet(p, p.type, &err)) FUZZ_CHECK(!err.message.empty());
      break;
    default:
      break;
  }
}

struct Framed {
  std::vector<Packet> packets;
  bool failed = false;
  bool oversize = false;
};

Framed frame(std::string_view in, unsigned seed, bool whole) {
  Framed out;
  PacketReader r(kLimit);
  auto drain = [&] {
    while (auto p = r.next()) {
      FUZZ_CHECK(p->body.size() + 2 <= kLimit);
      out.packets.push_back(std::move(*p));
    }
  };
  if (whole) {
    r.feed(in);
    drain();
  } else {
    for (auto piece : xz::fuzz::pieces(in, seed)) {
      r.feed(piece);
      drain();
      FUZZ_CHECK(r.buffered() <= kLimit + 64);
    }
  }
  out.failed = r.failed();
  out.oversize = r.oversize();
  if (out.failed) FUZZ_CHECK(!r.error().empty());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = xz::fuzz::as_text(data, size);
  const Framed whole = frame(in, 0, true);
  const Framed cut = frame(in, size ? data[0] : 0, false);
  FUZZ_CHECK(whole.failed == cut.failed && whole.oversize == cut.oversize);
  FUZZ_CHECK(whole.packets.size() == cut.packets.size());
  for (std::size_t i = 0; i < whole.packets.size(); ++i) {
    FUZZ_CHECK(whole.packets[i].type == cut.packets[i].type && whole.packets[i].body == cut.packets[i].body);
    decode(whole.packets[i]);
  }
  return 0;
}
