#pragma once
// The session's whole view of its device, both directions, whatever carries it: a
// WebSocket (WsDeviceLink) or MQTT + UDP. The session and the pipeline never learn
// which; what differs between transports (framing, the server hello's transport part,
// how a polite end looks) lives behind this interface. Used only on executor().
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "protocol/audio_framing.h"
#include "protocol/device_messages.h"
#include "protocol/server_messages.h"

namespace xz::net {
class WebSocket;
}

namespace xz::session {

// One thing the device sent, already unframed (and, for UDP, decrypted).
struct DeviceInput {
  enum class Kind {
    text,     // a JSON message (not parsed yet: bad JSON costs the session one message)
    audio,    // one uplink Opus packet
    dropped,  // something unusable arrived and was discarded; the link goes on
    ended,    // the channel is gone; every later receive() says so again
  };
  Kind kind = Kind::ended;
  std::string text;                // text
  std::string_view opus;           // audio: valid until the next receive() (no copy per packet)
  std::uint32_t timestamp_ms = 0;  // audio: the device's timestamp; 0 where the framing has none
  std::string what;                // dropped: what it was, for the log ("binary frame", "audio frame")
  std::string why;                 // dropped: why; ended: why, for the log ("connection closed by the device")
};

class DeviceLink {
 public:
  virtual ~DeviceLink() = default;

  // The next input from the device. One reader (the session). Oversize or malformed
  // input comes back as `dropped` so that the session logs it, rate-limited, and goes on.
  virtual boost::asio::awaitable<DeviceInput> receive() = 0;

  // Sends never wait: the transport queues them in order. False when the channel is
  // closing or its queue is full (a device that stops reading is cut off by the link).
  virtual bool send_text(std::string json) = 0;
  // One Opus packet, framed (and encrypted) as this device expects.
  virtual bool send_audio(std::string_view opus, std::uint32_t timestamp_ms) = 0;
  // Bytes queued towards the device and not yet written (the pacer's back-pressure).
  virtual std::size_t queued_bytes() const = 0;

  // The device said hello; `reply` is the server hello with the session's part filled in
  // (session id, the protocol version it settled on, downlink audio). The transport adds
  // its own part (transport name; MQTT: the UDP block) and adapts to reply.version.
  // Called again for each repeated hello.
  virtual void on_hello(const protocol::HelloMsg& hello, protocol::ServerHello& reply) = 0;

  // Politely ends this session's channel once what is queued has been sent; receive()
  // then ends. Only the session's channel: a transport that keeps the device reachable
  // between conversations (MQTT) keeps that connection.
  virtual void close(std::string reason) = 0;
  // Ends the channel now, dropping what is queued (the shutdown grace period is over).
  virtual void abort() = 0;

  // For the registry, logs and metrics: "websocket", "mqtt".
  virtual std::string transport() const = 0;
  // The peer's network address as the socket sees it (a proxy's, behind one: the
  // session's identity has the forwarded client address).
  virtual std::string remote_address() const = 0;
  // The loop the link, and the session that owns it, live on.
  virtual boost::asio::any_io_executor executor() const = 0;
};

// A device on the WebSocket port. Binary messages carry audio framed by protocol
// version (v1/v2/v3), or the MQTT gateway's 16-byte framing for a gateway's connection.
class WsDeviceLink final : public DeviceLink {
 public:
  // `framing` is the connection's until the hello settles the version; mqtt_gateway is
  // the gateway's and is kept whatever the hello says.
  WsDeviceLink(std::shared_ptr<net::WebSocket> ws, protocol::Framing framing);
  ~WsDeviceLink() override;

  boost::asio::awaitable<DeviceInput> receive() override;
  bool send_text(std::string json) override;
  bool send_audio(std::string_view opus, std::uint32_t timestamp_ms) override;
  std::size_t queued_bytes() const override;
  void on_hello(const protocol::HelloMsg& hello, protocol::ServerHello& reply) override;
  void close(std::string reason) override;
  void abort() override;
  std::string transport() const override { return "websocket"; }
  std::string remote_address() const override;
  boost::asio::any_io_executor executor() const override;

  protocol::Framing framing() const { return framing_; }

 private:
  std::shared_ptr<net::WebSocket> ws_;
  protocol::Framing framing_;
  std::uint32_t sequence_ = 0;
  std::string frame_;  // the last binary message: receive()'s opus points into it
};

}  // namespace xz::session
