#include "session/device_link.h"

#include "net/websocket.h"

namespace xz::session {

WsDeviceLink::WsDeviceLink(std::shared_ptr<net::WebSocket> ws, protocol::Framing framing)
    : ws_(std::move(ws)), framing_(framing) {}

bool WsDeviceLink::send_text(std::string json) { return ws_->send_text(std::move(json)); }

bool WsDeviceLink::send_audio(std::string_view opus, std::uint32_t timestamp_ms) {
  return ws_->send_binary(protocol::encode_audio_frame(framing_, opus, timestamp_ms, sequence_++));
}

void WsDeviceLink::close(std::string reason) { ws_->close(std::move(reason)); }

std::size_t WsDeviceLink::queued_bytes() const { return ws_->queued_bytes(); }

}  // namespace xz::session
