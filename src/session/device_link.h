#pragma once
// The session's view of the device connection, whatever carries it (WebSocket now;
// MQTT + UDP would be another implementation). Sends never wait: they are queued in
// order by the transport.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/audio_framing.h"

namespace xz::net {
class WebSocket;
}

namespace xz::session {

class DeviceLink {
 public:
  virtual ~DeviceLink() = default;
  virtual bool send_text(std::string json) = 0;
  // One Opus packet, framed as the device expects.
  virtual bool send_audio(std::string_view opus, std::uint32_t timestamp_ms) = 0;
  virtual void close(std::string reason) = 0;
  virtual std::string transport() const = 0;
  // Bytes queued towards the device and not yet written (back-pressure signal).
  virtual std::size_t queued_bytes() const = 0;
};

class WsDeviceLink : public DeviceLink {
 public:
  WsDeviceLink(std::shared_ptr<net::WebSocket> ws, protocol::Framing framing);
  bool send_text(std::string json) override;
  bool send_audio(std::string_view opus, std::uint32_t timestamp_ms) override;
  void close(std::string reason) override;
  std::string transport() const override { return "websocket"; }
  std::size_t queued_bytes() const override;

  void set_framing(protocol::Framing f) { framing_ = f; }
  protocol::Framing framing() const { return framing_; }

 private:
  std::shared_ptr<net::WebSocket> ws_;
  protocol::Framing framing_;
  std::uint32_t sequence_ = 0;
};

}  // namespace xz::session
