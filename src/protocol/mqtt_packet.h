#pragma once
// MQTT 3.1.1 packets (and 3.1's CONNECT, "MQIsdp" level 3), as bytes: an incremental
// framer, decoders for what either side receives and encoders for what either side
// sends. No sockets. Everything decoded here came from outside: a malformed packet gives
// a clear error, never a crash, and the framer refuses a packet above its size limit
// as soon as its length is known, before buffering it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xz::protocol::mqtt {

enum class PacketType : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
};
std::string_view packet_type_name(PacketType t);

// One whole packet: the type and the low nibble of the fixed header, and what follows
// the remaining length (variable header and payload).
struct Packet {
  PacketType type{};
  std::uint8_t flags = 0;
  std::string body;
};

// The largest remaining length four length bytes can say.
constexpr std::size_t kMaxRemainingLength = 268'435'455;

// Cuts a byte stream into packets. Feed what the socket gave, then take packets until
// none is whole. After an error the reader stays failed.
class PacketReader {
 public:
  // `max_packet_bytes`: the largest packet taken, fixed header included.
  explicit PacketReader(std::size_t max_packet_bytes) : max_packet_bytes_(max_packet_bytes) {}

  void feed(std::string_view bytes);
  // The next whole packet, or std::nullopt (more bytes needed, or failed()).
  std::optional<Packet> next();

  bool failed() const { return !error_.empty(); }
  // Why the stream was refused; empty while it is fine.
  const std::string& error() const { return error_; }
  // The stream was refused because a packet was larger than the limit.
  bool oversize() const { return oversize_; }
  std::size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::size_t max_packet_bytes_;
  std::string buf_;
  std::size_t pos_ = 0;  // start of the unread bytes in buf_
  std::string error_;
  bool oversize_ = false;
};

// CONNACK return codes (MQTT 3.1.1 §3.2.2.3).
enum class ConnackCode : std::uint8_t {
  accepted = 0,
  unacceptable_protocol_version = 1,
  identifier_rejected = 2,
  server_unavailable = 3,
  bad_username_or_password = 4,
  not_authorized = 5,
};

struct Will {
  std::string topic;
  std::string message;
  std::uint8_t qos = 0;
  bool retain = false;
};

struct Connect {
  std::string protocol_name = "MQTT";  // "MQIsdp" for 3.1
  std::uint8_t protocol_level = 4;     // 3 for 3.1
  bool clean_session = true;
  std::uint16_t keep_alive_seconds = 0;
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;
};

struct Publish {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  // QoS 1 and 2 only
};

struct TopicRequest {
  std::string filter;
  std::uint8_t qos = 0;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  std::vector<TopicRequest> topics;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string> filters;
};

struct Connack {
  bool session_present = false;
  ConnackCode code = ConnackCode::accepted;
};

struct Suback {
  std::uint16_t packet_id = 0;
  std::vector<std::uint8_t> return_codes;  // 0, 1, 2 or 0x80 (failure)
};

// A decode failure. `refuse` is set when the server should answer CONNECT with that
// code before closing (an unknown protocol level); otherwise it just closes.
struct DecodeError {
  std::string message;
  std::optional<ConnackCode> refuse;
};

// Each decoder checks the packet's type, its fixed-header flags, every length and that
// nothing trails; on failure it returns std::nullopt and fills *error.
std::optional<Connect> decode_connect(const Packet& p, DecodeError* error);
std::optional<Publish> decode_publish(const Packet& p, DecodeError* error);
std::optional<Subscribe> decode_subscribe(const Packet& p, DecodeError* error);
std::optional<Unsubscribe> decode_unsubscribe(const Packet& p, DecodeError* error);
std::optional<Connack> decode_connack(const Packet& p, DecodeError* error);
std::optional<Suback> decode_suback(const Packet& p, DecodeError* error);
// PUBACK and UNSUBACK: the packet id.
std::optional<std::uint16_t> decode_puback(const Packet& p, DecodeError* error);
std::optional<std::uint16_t> decode_unsuback(const Packet& p, DecodeError* error);
// PINGREQ, PINGRESP, DISCONNECT: no body and flags 0. False (with *error) otherwise.
bool check_empty_packet(const Packet& p, PacketType expected, DecodeError* error);

// Encoders give a whole packet, fixed header included. Strings longer than 65535 bytes
// and payloads above kMaxRemainingLength are a caller's bug: std::invalid_argument.
std::string encode_connect(const Connect& c);
std::string encode_connack(const Connack& c);
std::string encode_publish(const Publish& p);
std::string encode_puback(std::uint16_t packet_id);
std::string encode_subscribe(const Subscribe& s);
std::string encode_suback(const Suback& s);
std::string encode_unsubscribe(const Unsubscribe& u);
std::string encode_unsuback(std::uint16_t packet_id);
std::string encode_pingreq();
std::string encode_pingresp();
std::string encode_disconnect();

// A packet's fixed header for `type` with `flags` and `remaining` body bytes.
std::string encode_fixed_header(PacketType type, std::uint8_t flags, std::size_t remaining);

}  // namespace xz::protocol::mqtt
