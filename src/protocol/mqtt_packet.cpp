#include "protocol/mqtt_packet.h"

#include <stdexcept>

namespace xz::protocol::mqtt {

std::string_view packet_type_name(PacketType t) {
  switch (t) {
    case PacketType::connect: return "CONNECT";
    case PacketType::connack: return "CONNACK";
    case PacketType::publish: return "PUBLISH";
    case PacketType::puback: return "PUBACK";
    case PacketType::pubrec: return "PUBREC";
    case PacketType::pubrel: return "PUBREL";
    case PacketType::pubcomp: return "PUBCOMP";
    case PacketType::subscribe: return "SUBSCRIBE";
    case PacketType::suback: return "SUBACK";
    case PacketType::unsubscribe: return "UNSUBSCRIBE";
    case PacketType::unsuback: return "UNSUBACK";
    case PacketType::pingreq: return "PINGREQ";
    case PacketType::pingresp: return "PINGRESP";
    case PacketType::disconnect: return "DISCONNECT";
  }
  return "?";
}

// ---- framing ----

void PacketReader::feed(std::string_view bytes) {
  if (failed()) return;
  // Drop what was consumed before growing, so the buffer holds at most one packet
  // plus the last piece fed.
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

std::optional<Packet> PacketReader::next() {
  if (failed()) return std::nullopt;
  const std::string_view in = std::string_view(buf_).substr(pos_);
  if (in.empty()) return std::nullopt;
  const auto first = static_cast<std::uint8_t>(in[0]);
  const unsigned type = first >> 4;
  if (type == 0 || type == 15) {
    error_ = "reserved packet type " + std::to_string(type);
    return std::nullopt;
  }
  std::size_t remaining = 0;
  std::size_t header = 1;
  for (unsigned shift = 0;; shift += 7) {
    if (header > 4) {
      error_ = "remaining length longer than four bytes";
      return std::nullopt;
    }
    if (in.size() <= header) return std::nullopt;  // length not complete yet
    const auto b = static_cast<std::uint8_t>(in[header++]);
    remaining |= static_cast<std::size_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  const std::size_t total = header + remaining;
  if (total > max_packet_bytes_) {
    error_ = std::string(packet_type_name(static_cast<PacketType>(type))) + " of " + std::to_string(total) +
             " bytes is above the limit of " + std::to_string(max_packet_bytes_);
    oversize_ = true;
    return std::nullopt;
  }
  if (in.size() < total) return std::nullopt;
  Packet p;
  p.type = static_cast<PacketType>(type);
  p.flags = first & 0x0f;
  p.body.assign(in.substr(header, remaining));
  pos_ += total;
  if (pos_ == buf_.size()) {
    // All taken: an idle connection keeps no large buffer.
    if (buf_.capacity() > 4096) std::string().swap(buf_);
    buf_.clear();
    pos_ = 0;
  }
  return p;
}

// ---- decoding ----

namespace {

// MQTT strings are UTF-8 without U+0000 (§1.5.3); ill-formed ones close the connection.
bool valid_mqtt_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n;
    std::uint32_t cp;
    if ((c & 0xe0) == 0xc0) n = 1, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0) n = 2, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0) n = 3, cp = c & 0x07;
    else return false;
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;  // overlong
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

class BodyReader {
 public:
  BodyReader(std::string_view body, DecodeError* error) : in_(body), error_(error) {}

  bool fail(std::string message) {
    if (ok_ && error_) error_->message = std::move(message);
    ok_ = false;
    return false;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return in_.empty(); }
  std::size_t left() const { return in_.size(); }

  std::optional<std::uint8_t> byte(std::string_view what) {
    if (!ok_) return std::nullopt;
    if (in_.empty()) {
      fail("packet ends before its " + std::string(what));
      return std::nullopt;
    }
    const auto b = static_cast<std::uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return b;
  }
  std::optional<std::uint16_t> u16(std::string_view what) {
    if (!ok_) return std::nullopt;
    if (in_.size() < 2) {
      fail("packet ends before its " + std::string(what));
      return std::nullopt;
    }
    const auto v = static_cast<std::uint16_t>((static_cast<std::uint8_t>(in_[0]) << 8) | static_cast<std::uint8_t>(in_[1]));
    in_.remove_prefix(2);
    return v;
  }
  // A length-prefixed field; `text` ones must be valid MQTT UTF-8.
  std::optional<std::string> field(std::string_view what, bool text) {
    const auto n = u16(what);
    if (!n) return std::nullopt;
    if (in_.size() < *n) {
      fail(std::string(what) + " of " + std::to_string(*n) + " bytes runs past the packet");
      return std::nullopt;
    }
    std::string s(in_.substr(0, *n));
    in_.remove_prefix(*n);
    if (text && !valid_mqtt_utf8(s)) {
      fail(std::string(what) + " is not valid UTF-8");
      return std::nullopt;
    }
    return s;
  }
  std::string rest() {
    std::string s(in_);
    in_ = {};
    return s;
  }

 private:
  std::string_view in_;
  DecodeError* error_;
  bool ok_ = true;
};

bool set_error(DecodeError* error, std::string message) {
  if (error) error->message = std::move(message);
  return false;
}

bool check_head(const Packet& p, PacketType type, std::uint8_t flags, DecodeError* error) {
  if (p.type != type)
    return set_error(error, "expected " + std::string(packet_type_name(type)) + ", got " +
                                std::string(packet_type_name(p.type)));
  if (p.flags != flags)
    return set_error(error, std::string(packet_type_name(type)) + " with reserved header flags " +
                                std::to_string(p.flags));
  return true;
}

bool has_wildcard(std::string_view topic) { return topic.find_first_of("+#") != std::string_view::npos; }

}  // namespace

std::optional<Connect> decode_connect(const Packet& p, DecodeError* error) {
  if (!check_head(p, PacketType::connect, 0, error)) return std::nullopt;
  BodyReader r(p.body, error);
  Connect c;
  auto name = r.field("protocol name", true);
  auto level = r.byte("protocol level");
  auto flags = r.byte("connect flags");
  auto keep_alive = r.u16("keep alive");
  if (!r.ok()) return std::nullopt;
  c.protocol_name = *name;
  c.protocol_level = *level;
  if (c.protocol_name != "MQTT" && c.protocol_name != "MQIsdp") {
    set_error(error, "unknown protocol name '" + c.protocol_name + "'");
    return std::nullopt;
  }
  if ((c.protocol_name == "MQTT" && c.protocol_level != 4) || (c.protocol_name == "MQIsdp" && c.protocol_level != 3)) {
    set_error(error, "unsupported protocol level " + std::to_string(c.protocol_level) + " for " + c.protocol_name);
    if (error) error->refuse = ConnackCode::unacceptable_protocol_version;
    return std::nullopt;
  }
  const std::uint8_t f = *flags;
  if (f & 0x01) {
    set_error(error, "CONNECT with the reserved flag set");
    return std::nullopt;
  }
  c.clean_session = f & 0x02;
  const bool will = f & 0x04;
  const std::uint8_t will_qos = (f >> 3) & 0x03;
  const bool will_retain = f & 0x20;
  const bool has_password = f & 0x40;
  const bool has_username = f & 0x80;
  if (!will && (will_qos != 0 || will_retain)) {
    set_error(error, "CONNECT with will QoS or retain but no will");
    return std::nullopt;
  }
  if (will_qos == 3) {
    set_error(error, "CONNECT with will QoS 3");
    return std::nullopt;
  }
  if (has_password && !has_username) {
    set_error(error, "CONNECT with a password but no user name");
    return std::nullopt;
  }
  c.keep_alive_seconds = *keep_alive;
  auto client_id = r.field("client id", true);
  if (!client_id) return std::nullopt;
  c.client_id = std::move(*client_id);
  if (will) {
    Will w;
    auto topic = r.field("will topic", true);
    auto message = r.field("will message", false);
    if (!r.ok()) return std::nullopt;
    if (topic->empty() || has_wildcard(*topic)) {
      set_error(error, "CONNECT with an invalid will topic");
      return std::nullopt;
    }
    w.topic = std::move(*topic);
    w.message = std::move(*message);
    w.qos = will_qos;
    w.retain = will_retain;
    c.will = std::move(w);
  }
  if (has_username) {
    auto u = r.field("user name", true);
    if (!u) return std::nullopt;
    c.username = std::move(*u);
  }
  if (has_password) {
    auto pw = r.field("password", false);
    if (!pw) return std::nullopt;
    c.password = std::move(*pw);
  }
  if (!r.at_end()) {
    set_error(error, "CONNECT with " + std::to_string(r.left()) + " bytes after its payload");
    return std::nullopt;
  }
  return c;
}

std::optional<Publish> decode_publish(const Packet& p, DecodeError* error) {
  if (p.type != PacketType::publish) {
    check_head(p, PacketType::publish, p.flags, error);
    return std::nullopt;
  }
  Publish out;
  out.dup = p.flags & 0x08;
  out.qos = (p.flags >> 1) & 0x03;
  out.retain = p.flags & 0x01;
  if (out.qos == 3) {
    set_error(error, "PUBLISH with QoS 3");
    return std::nullopt;
  }
  if (out.qos == 0 && out.dup) {
    set_error(error, "PUBLISH with DUP set at QoS 0");
    return std::nullopt;
  }
  BodyReader r(p.body, error);
  auto topic = r.field("topic", true);
  if (!topic) return std::nullopt;
  if (topic->empty() || has_wildcard(*topic)) {
    set_error(error, "PUBLISH to an empty topic or one with wildcards");
    return std::nullopt;
  }
  out.topic = std::move(*topic);
  if (out.qos > 0) {
    auto id = r.u16("packet id");
    if (!id) return std::nullopt;
    if (*id == 0) {
      set_error(error, "PUBLISH with packet id 0");
      return std::nullopt;
    }
    out.packet_id = *id;
  }
  out.payload = r.rest();
  return out;
}

std::optional<Subscribe> decode_subscribe(const Packet& p, DecodeError* error) {
  if (!check_head(p, PacketType::subscribe, 0x02, error)) return std::nullopt;
  BodyReader r(p.body, error);
  Subscribe s;
  auto id = r.u16("packet id");
  if (!id) return std::nullopt;
  if (*id == 0) {
    set_error(error, "SUBSCRIBE with packet id 0");
    return std::nullopt;
  }
  s.packet_id = *id;
  while (!r.at_end()) {
    auto filter = r.field("topic filter", true);
    auto qos = r.byte("requested QoS");
    if (!r.ok()) return std::nullopt;
    if (filter->empty()) {
      set_error(error, "SUBSCRIBE with an empty topic filter");
      return std::nullopt;
    }
    if (*qos > 2) {
      set_error(error, "SUBSCRIBE with requested QoS byte " + std::to_string(*qos));
      return std::nullopt;
    }
    s.topics.push_back({std::move(*filter), *qos});
  }
  if (s.topics.empty()) {
    set_error(error, "SUBSCRIBE without a topic");
    return std::nullopt;
  }
  return s;
}

std::optional<Unsubscribe> decode_unsubscribe(const Packet& p, DecodeError* error) {
  if (!check_head(p, PacketType::unsubscribe, 0x02, error)) return std::nullopt;
  BodyReader r(p.body, error);
  Unsubscribe u;
  auto id = r.u16("packet id");
  if (!id) return std::nullopt;
  if (*id == 0) {
    set_error(error, "UNSUBSCRIBE with packet id 0");
    return std::nullopt;
  }
  u.packet_id = *id;
  while (!r.at_end()) {
    auto filter = r.field("topic filter", true);
    if (!filter) return std::nullopt;
    if (filter->empty()) {
      set_error(error, "UNSUBSCRIBE with an empty topic filter");
      return std::nullopt;
    }
    u.filters.push_back(std::move(*filter));
  }
  if (u.filters.empty()) {
    set_error(error, "UNSUBSCRIBE without a topic");
    return std::nullopt;
  }
  return u;
}

std::optional<Connack> decode_connack(const Packet& p, DecodeError* error) {
  if (!check_head(p, PacketType::connack, 0, error)) return std::nullopt;
  if (p.body.size() != 2) {
    set_error(error, "CONNACK of " + std::to_string(p.body.size()) + " bytes, not 2");
    return std::nullopt;
  }
  const auto ack = static_cast<std::uint8_t>(p.body[0]);
  const auto code = static_cast<std::uint8_t>(p.body[1]);
  if (ack & 0xfe) {
    set_error(error, "CONNACK with reserved acknowledge flags");
    return std::nullopt;
  }
  if (code > 5) {
    set_error(error, "CONNACK with unknown return code " + std::to_string(code));
    return std::nullopt;
  }
  return Connack{static_cast<bool>(ack & 1), static_cast<ConnackCode>(code)};
}

std::optional<Suback> decode_suback(const Packet& p, DecodeError* error) {
  if (!check_head(p, PacketType::suback, 0, error)) return std::nullopt;
  BodyReader r(p.body, error);
  Suback s;
  auto id = r.u16("packet id");
  if (!id) return std::nullopt;
  s.packet_id = *id;
  const std::string codes = r.rest();
  for (char c : codes) {
    const auto b = static_cast<std::uint8_t>(c);
    if (b > 2 && b != 0x80) {
      set_error(error, "SUBACK with return code " + std::to_string(b));
      return std::nullopt;
    }
    s.return_codes.push_back(b);
  }
  if (s.return_codes.empty()) {
    set_error(error, "SUBACK without a return code");
    return std::nullopt;
  }
  return s;
}

namespace {
std::optional<std::uint16_t> decode_id_only(const Packet& p, PacketType type, DecodeError* error) {
  if (!check_head(p, type, 0, error)) return std::nullopt;
  if (p.body.size() != 2) {
    set_error(error, std::string(packet_type_name(type)) + " of " + std::to_string(p.body.size()) + " bytes, not 2");
    return std::nullopt;
  }
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(p.body[0]) << 8) | static_cast<std::uint8_t>(p.body[1]));
}
}  // namespace

std::optional<std::uint16_t> decode_puback(const Packet& p, DecodeError* error) {
  return decode_id_only(p, PacketType::puback, error);
}

std::optional<std::uint16_t> decode_unsuback(const Packet& p, DecodeError* error) {
  return decode_id_only(p, PacketType::unsuback, error);
}

bool check_empty_packet(const Packet& p, PacketType expected, DecodeError* error) {
  if (!check_head(p, expected, 0, error)) return false;
  if (!p.body.empty())
    return set_error(error, std::string(packet_type_name(expected)) + " with " + std::to_string(p.body.size()) +
                                " body bytes");
  return true;
}

// ---- encoding ----

namespace {

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void put_field(std::string& out, std::string_view s) {
  if (s.size() > 0xffff) throw std::invalid_argument("MQTT field of " + std::to_string(s.size()) + " bytes");
  put_u16(out, static_cast<std::uint16_t>(s.size()));
  out.append(s);
}

std::string packet(PacketType type, std::uint8_t flags, std::string_view body) {
  std::string out = encode_fixed_header(type, flags, body.size());
  out.append(body);
  return out;
}

}  // namespace

std::string encode_fixed_header(PacketType type, std::uint8_t flags, std::size_t remaining) {
  if (remaining > kMaxRemainingLength)
    throw std::invalid_argument("MQTT packet body of " + std::to_string(remaining) + " bytes");
  std::string out;
  out.push_back(static_cast<char>((static_cast<std::uint8_t>(type) << 4) | (flags & 0x0f)));
  do {
    std::uint8_t b = remaining & 0x7f;
    remaining >>= 7;
    if (remaining) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (remaining);
  return out;
}

std::string encode_connect(const Connect& c) {
  std::string body;
  put_field(body, c.protocol_name);
  body.push_back(static_cast<char>(c.protocol_level));
  std::uint8_t flags = 0;
  if (c.clean_session) flags |= 0x02;
  if (c.will) flags |= 0x04 | static_cast<std::uint8_t>((c.will->qos & 3) << 3) | (c.will->retain ? 0x20 : 0);
  if (c.password) flags |= 0x40;
  if (c.username) flags |= 0x80;
  body.push_back(static_cast<char>(flags));
  put_u16(body, c.keep_alive_seconds);
  put_field(body, c.client_id);
  if (c.will) {
    put_field(body, c.will->topic);
    put_field(body, c.will->message);
  }
  if (c.username) put_field(body, *c.username);
  if (c.password) put_field(body, *c.password);
  return packet(PacketType::connect, 0, body);
}

std::string encode_connack(const Connack& c) {
  const char body[2] = {static_cast<char>(c.session_present ? 1 : 0), static_cast<char>(c.code)};
  return packet(PacketType::connack, 0, std::string_view(body, 2));
}

std::string encode_publish(const Publish& p) {
  if (p.qos > 2) throw std::invalid_argument("MQTT PUBLISH with QoS " + std::to_string(p.qos));
  const std::size_t body_size = 2 + p.topic.size() + (p.qos ? 2 : 0) + p.payload.size();
  const std::uint8_t flags =
      static_cast<std::uint8_t>((p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 0x01 : 0));
  std::string out = encode_fixed_header(PacketType::publish, flags, body_size);
  out.reserve(out.size() + body_size);
  put_field(out, p.topic);
  if (p.qos) put_u16(out, p.packet_id);
  out.append(p.payload);
  return out;
}

std::string encode_puback(std::uint16_t packet_id) {
  std::string body;
  put_u16(body, packet_id);
  return packet(PacketType::puback, 0, body);
}

std::string encode_subscribe(const Subscribe& s) {
  std::string body;
  put_u16(body, s.packet_id);
  for (const auto& t : s.topics) {
    put_field(body, t.filter);
    body.push_back(static_cast<char>(t.qos));
  }
  return packet(PacketType::subscribe, 0x02, body);
}

std::string encode_suback(const Suback& s) {
  std::string body;
  put_u16(body, s.packet_id);
  for (auto c : s.return_codes) body.push_back(static_cast<char>(c));
  return packet(PacketType::suback, 0, body);
}

std::string encode_unsubscribe(const Unsubscribe& u) {
  std::string body;
  put_u16(body, u.packet_id);
  for (const auto& f : u.filters) put_field(body, f);
  return packet(PacketType::unsubscribe, 0x02, body);
}

std::string encode_unsuback(std::uint16_t packet_id) {
  std::string body;
  put_u16(body, packet_id);
  return packet(PacketType::unsuback, 0, body);
}

std::string encode_pingreq() { return packet(PacketType::pingreq, 0, {}); }
std::string encode_pingresp() { return packet(PacketType::pingresp, 0, {}); }
std::string encode_disconnect() { return packet(PacketType::disconnect, 0, {}); }

}  // namespace xz::protocol::mqtt
