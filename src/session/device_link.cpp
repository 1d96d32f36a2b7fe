#include "session/device_link.h"

#include "net/websocket.h"

namespace xz::session {

namespace asio = boost::asio;

WsDeviceLink::WsDeviceLink(std::shared_ptr<net::WebSocket> ws, protocol::Framing framing)
    : ws_(std::move(ws)), framing_(framing) {}

WsDeviceLink::~WsDeviceLink() = default;

asio::awaitable<DeviceInput> WsDeviceLink::receive() {
  DeviceInput in;
  auto msg = co_await ws_->read();
  if (!msg) {
    in.kind = DeviceInput::Kind::ended;
    in.why = ws_->last_read_error() == net::WsReadError::protocol ? "WebSocket protocol error"
                                                                  : "connection closed by the device";
    co_return in;
  }
  if (msg->oversize) {
    in.kind = DeviceInput::Kind::dropped;
    in.what = msg->binary ? "binary frame" : "text message";
    in.why = "larger than the maximum (" + std::to_string(msg->size) + " bytes)";
    co_return in;
  }
  if (!msg->binary) {
    in.kind = DeviceInput::Kind::text;
    in.text = std::move(msg->data);
    co_return in;
  }
  frame_ = std::move(msg->data);
  std::string error;
  auto packet = protocol::decode_audio_frame(framing_, frame_, &error);
  if (!packet) {
    in.kind = DeviceInput::Kind::dropped;
    in.what = "audio frame";
    in.why = std::move(error);
    co_return in;
  }
  in.kind = DeviceInput::Kind::audio;
  in.opus = packet->opus;
  in.timestamp_ms = packet->timestamp;
  co_return in;
}

bool WsDeviceLink::send_text(std::string json) { return ws_->send_text(std::move(json)); }

bool WsDeviceLink::send_audio(std::string_view opus, std::uint32_t timestamp_ms) {
  return ws_->send_binary(protocol::encode_audio_frame(framing_, opus, timestamp_ms, sequence_++));
}

std::size_t WsDeviceLink::queued_bytes() const { return ws_->queued_bytes(); }

void WsDeviceLink::on_hello(const protocol::HelloMsg&, protocol::ServerHello& reply) {
  // The gateway re-frames for the device itself; only a direct device's framing follows
  // the version.
  if (framing_ != protocol::Framing::mqtt_gateway) framing_ = protocol::framing_for_version(reply.version);
  reply.transport = "websocket";
  reply.udp.reset();
}

void WsDeviceLink::close(std::string reason) { ws_->close(std::move(reason)); }

void WsDeviceLink::abort() { ws_->abort(); }

std::string WsDeviceLink::remote_address() const { return ws_->remote_ip(); }

asio::any_io_executor WsDeviceLink::executor() const { return ws_->executor(); }

}  // namespace xz::session
