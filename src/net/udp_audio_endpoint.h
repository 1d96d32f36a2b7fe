#pragma once
// The server's UDP audio socket for MQTT+UDP devices (device-protocol.md §4.2-§4.4): one
// socket, many channels. A session opens a channel, puts its key and nonce in the server
// hello and gets the device's Opus packets on its own executor; it sends downlink Opus
// through the channel from any thread.
//
// Uplink, in order of cost (reads run on the one loop given at construction):
//   size/type/length check -> ssrc lookup (bytes 4-7; an unknown ssrc costs a hash lookup
//   and a counter, no decryption, no log) -> per-channel rate (token bucket) ->
//   protocol::UdpUplinkReceiver (sequence window, AES-128-CTR, Opus plausibility, device
//   address) -> posted to the channel's executor, in arrival order.
// CTR has no MAC, so the Opus check (protocol/uplink_opus_check.h) is what tells a forged
// packet (right ssrc, wrong key) apart; a forgery that fails it neither reaches the
// session nor moves the window or the address. Random bytes pass it ~1 % of the time, so
// the device's address, learned from the first valid packet, only moves (NAT rebinding)
// after `rebind_after` valid packets in a row, with rising sequences, from the same new
// address; those packets are not delivered, and a valid packet from the known address
// resets the count. Residual risk, accepted: a forger who guesses a live ssrc (random, 32
// bits) and passes the check before the device's first packet holds the address until
// the device's own packets move it back (3 packets, ~180 ms), and at most
// max_sequence_jump packets of device audio can be made stale by such a forgery.
//
// Downlink: the channel encrypts with header `01 00 len ssrc ts seq` (seq from 1) and
// calls the kernel's sendto on the socket's descriptor directly (thread-safe,
// MSG_DONTWAIT): a full socket buffer drops the packet and counts it, never blocks.
// Until the device has sent a valid packet its address is unknown (NAT, spec §4.4) and
// sends are dropped and counted.
//
// Metrics (when a registry is given): xiaozhi_udp_datagrams_total{direction="in"|"out"},
// xiaozhi_udp_dropped_total{reason=unknown_ssrc|bad|replay|old|forged|rate|
// unconfirmed_address|overload|no_address|send_failed} (the last two are downlink),
// xiaozhi_udp_channels (open channels).
//
// Lifetime: stop() (or the destructor) needs `loop` to run once more to close the socket;
// destroy channels on their executor.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "protocol/udp_packet.h"

namespace xz::core {
class Metrics;
}

namespace xz::net {

struct UdpAudioEndpointOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 0;  // 0 = ephemeral (tests); server.mqtt.udp_port in production
  std::size_t max_channels = 10000;
  // Larger datagrams are dropped unread ("bad"). 60 ms of 16 kHz Opus is ~100-300 bytes.
  std::size_t max_datagram_bytes = 1500;
  // Per channel, counted before decryption; the device's own address and all other
  // sources have a bucket each, so a flood from elsewhere cannot starve the device.
  // 60 ms frames are ~17 per second.
  double max_packets_per_second = 50;
  double packet_burst = 100;
  std::uint32_t reorder_window = 32;      // protocol::UdpSequenceWindow, 1..64
  // Lost packets in a row still taken (~61 s of 60 ms packets); also the most device audio
  // a forgery that passed the Opus check can make "old".
  std::uint32_t max_sequence_jump = 1024;
  std::uint32_t max_first_sequence = 64;  // the device numbers from 1
  std::uint32_t rebind_after = 3;          // valid packets from a new address before it is taken
  // The uplink frame duration the hello announces; packets of another duration are forged.
  std::chrono::milliseconds frame_duration{60};
  // Delivered packets not yet run on a channel's executor; more are dropped ("overload").
  std::size_t max_pending_per_channel = 64;
};

struct UdpChannelStats {
  std::uint64_t received = 0;   // datagrams with this channel's ssrc
  std::uint64_t delivered = 0;  // passed every check, posted to the executor
  std::uint64_t sent = 0;
  std::uint64_t dropped_rate = 0, dropped_replay = 0, dropped_old = 0, dropped_bad = 0,
                dropped_forged = 0, dropped_unconfirmed = 0, dropped_overload = 0;
  std::uint64_t send_no_address = 0, send_failed = 0;  // send_failed: EAGAIN or error
  std::uint64_t gaps = 0, reordered = 0, rebinds = 0;
};

struct UdpEndpointStats {
  std::uint64_t datagrams_in = 0, datagrams_out = 0;
  std::uint64_t dropped_unknown_ssrc = 0, dropped_bad = 0, dropped_replay = 0, dropped_old = 0,
                dropped_forged = 0, dropped_rate = 0, dropped_unconfirmed = 0, dropped_overload = 0,
                dropped_no_address = 0, dropped_send_failed = 0;
  std::size_t open_channels = 0;
};

namespace udp_detail {
struct Core;
struct Channel;
}  // namespace udp_detail

// A channel's handle. Destroying it closes the channel: its ssrc is forgotten at once and
// no callback runs after destruction on the channel's executor (destroy it there).
class UdpAudioChannel {
  struct Key {};  // only the endpoint makes channels

 public:
  UdpAudioChannel(Key, std::shared_ptr<udp_detail::Core> core, std::shared_ptr<udp_detail::Channel> ch);
  ~UdpAudioChannel();
  UdpAudioChannel(const UdpAudioChannel&) = delete;
  UdpAudioChannel& operator=(const UdpAudioChannel&) = delete;

  std::uint32_t ssrc() const;
  const std::string& key() const;    // 16 bytes
  const std::string& nonce() const;  // 16 bytes
  std::string key_hex() const;       // for the hello's udp.key
  std::string nonce_hex() const;     // for the hello's udp.nonce

  // Encrypts and sends one Opus packet; any thread, never blocks. False when dropped
  // (no device address yet, packet over 65535 bytes, socket buffer full, send error).
  bool send(std::string_view opus, std::uint32_t timestamp_ms);

  // The device's current address, once it has sent a valid packet.
  std::optional<boost::asio::ip::udp::endpoint> device_address() const;
  UdpChannelStats stats() const;

 private:
  friend class UdpAudioEndpoint;
  std::shared_ptr<udp_detail::Core> core_;
  std::shared_ptr<udp_detail::Channel> ch_;
};

class UdpAudioEndpoint {
 public:
  // One uplink packet, decrypted (header.timestamp and header.sequence as sent).
  using OnAudio = std::function<void(protocol::UdpPacket)>;

  // Reads run on `loop`. metrics may be null; else it must outlive the endpoint and
  // every channel.
  UdpAudioEndpoint(boost::asio::io_context& loop, UdpAudioEndpointOptions opts, core::Metrics* metrics = nullptr);
  // Stops reading. Open channels stay valid (sends fail once the socket is gone).
  ~UdpAudioEndpoint();
  UdpAudioEndpoint(const UdpAudioEndpoint&) = delete;
  UdpAudioEndpoint& operator=(const UdpAudioEndpoint&) = delete;

  // Binds and starts reading. Throws std::runtime_error naming the address on failure.
  void start();
  std::uint16_t port() const { return bound_port_; }
  // Stops reading; channels stop receiving. Idempotent, any thread.
  void stop();

  // Any thread. on_audio runs on `executor`, in arrival order when the executor runs one
  // handler at a time (a session loop or a strand).
  // nullptr when max_channels are open.
  std::unique_ptr<UdpAudioChannel> open_channel(boost::asio::any_io_executor executor, OnAudio on_audio);

  std::size_t open_channels() const;
  UdpEndpointStats stats() const;

 private:
  std::shared_ptr<udp_detail::Core> core_;
  std::uint16_t bound_port_ = 0;
};

}  // namespace xz::net
