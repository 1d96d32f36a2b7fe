#pragma once
// The device side of MQTT+UDP audio, as the firmware does it (device-protocol.md §4.2-§4.3),
// for xiaozhi-sim and the tests: takes server, port, key and nonce from the server hello;
// sends uplink Opus with IV = the nonce with length, timestamp and sequence (from 1)
// written in; takes a downlink datagram only if it is >= 16 bytes, type 1,
// 16 + payload_len == size and its sequence is above the last one taken.
//
// Not thread-safe: use it on its executor's thread (one io_context thread or a strand).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "protocol/udp_packet.h"

namespace xz::net {

struct UdpAudioClientConfig {
  std::string server;  // an IP address (the simulator resolves host names first)
  std::uint16_t port = 0;
  std::string key_hex;    // 32 hex digits, either case, as in the hello
  std::string nonce_hex;  // 32 hex digits
};

struct UdpAudioClientStats {
  std::uint64_t sent = 0, send_failed = 0;
  std::uint64_t received = 0;  // taken and handed to on_audio
  std::uint64_t dropped_malformed = 0, dropped_old = 0;
};

class UdpAudioClient {
 public:
  using OnAudio = std::function<void(protocol::UdpPacket)>;

  // Throws std::invalid_argument where the firmware would ignore the hello: key or
  // nonce not 16 bytes of hex, port 0, server not an IP address.
  UdpAudioClient(boost::asio::any_io_executor ex, const UdpAudioClientConfig& cfg, OnAudio on_audio);
  ~UdpAudioClient();  // closes the socket; on_audio is not called afterwards
  UdpAudioClient(const UdpAudioClient&) = delete;
  UdpAudioClient& operator=(const UdpAudioClient&) = delete;

  // Opens a socket "connected" to the server and starts receiving. Throws
  // std::runtime_error if the socket cannot be opened.
  void open();
  // A new socket (new local port) with the same keys and sequence numbers: what the
  // server sees when the device's NAT mapping changes.
  void rebind();
  void close();

  // Encrypts and sends one packet with the next sequence; never blocks (false when the
  // socket buffer is full or the socket is closed).
  bool send(std::string_view opus, std::uint32_t timestamp = 0);
  // Sends bytes as they are (tests: replays, forgeries).
  bool send_raw(std::string_view datagram);
  // The datagram send() would produce next, without sending it or using up the sequence.
  std::string make_datagram(std::string_view opus, std::uint32_t timestamp, std::uint32_t sequence) const;

  std::uint32_t last_sent_sequence() const;
  std::uint16_t local_port() const;
  UdpAudioClientStats stats() const;

  struct State;  // public for the receive coroutine in the .cpp

 private:
  std::shared_ptr<State> state_;
};

}  // namespace xz::net
