#include "session/mqtt_udp_link.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "net/mqtt_server.h"
#include "net/udp_audio_endpoint.h"
#include "protocol/server_messages.h"

namespace xz::session {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

MqttUdpInbox::MqttUdpInbox(asio::any_io_executor ex) : wake_(std::move(ex), Clock::time_point::max()) {}

MqttUdpInbox::~MqttUdpInbox() = default;

void MqttUdpInbox::set_channel(std::unique_ptr<net::UdpAudioChannel> channel) { channel_ = std::move(channel); }

void MqttUdpInbox::push(Item item) {
  if (ended_) return;
  if (items_.size() >= kMaxPending) {
    ++overflowed_;
    return;
  }
  items_.push_back(std::move(item));
  wake_.cancel();
}

void MqttUdpInbox::push_text(std::string json) { push({false, std::move(json), 0}); }

void MqttUdpInbox::push_audio(std::string opus, std::uint32_t timestamp_ms) {
  push({true, std::move(opus), timestamp_ms});
}

void MqttUdpInbox::end(std::string why) {
  if (ended_) return;
  ended_ = true;
  why_ = std::move(why);
  items_.clear();
  channel_.reset();  // the ssrc is forgotten now: later datagrams cost a lookup
  wake_.cancel();
}

asio::awaitable<DeviceInput> MqttUdpInbox::next() {
  while (items_.empty() && !ended_) {
    wake_.expires_at(Clock::time_point::max());
    co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  DeviceInput in;
  if (ended_) {
    in.kind = DeviceInput::Kind::ended;
    in.why = why_;
    co_return in;
  }
  Item item = std::move(items_.front());
  items_.pop_front();
  if (item.audio) {
    frame_ = std::move(item.data);
    in.kind = DeviceInput::Kind::audio;
    in.opus = frame_;
    in.timestamp_ms = item.timestamp_ms;
  } else {
    in.kind = DeviceInput::Kind::text;
    in.text = std::move(item.data);
  }
  co_return in;
}

MqttUdpDeviceLink::MqttUdpDeviceLink(std::shared_ptr<net::MqttDeviceConnection> mqtt,
                                     std::shared_ptr<MqttUdpInbox> inbox, UdpHelloInfo udp)
    : mqtt_(std::move(mqtt)), inbox_(std::move(inbox)), udp_(std::move(udp)) {}

MqttUdpDeviceLink::~MqttUdpDeviceLink() {
  if (flush_timer_) flush_timer_->cancel();
  // The session is gone: its channel goes with it, whoever ended it.
  inbox_->end("session ended");
}

asio::awaitable<DeviceInput> MqttUdpDeviceLink::receive() { return inbox_->next(); }

bool MqttUdpDeviceLink::send_text(std::string json) {
  if (closed_ || inbox_->ended()) return false;
  // Cheap: the session's own messages are compact JSON from protocol/server_messages.
  if (json.find("\"type\":\"tts\"") != std::string::npos && json.find("\"state\":\"start\"") != std::string::npos)
    hold_until_ = Clock::now() + kFirstAudioHold;
  return mqtt_->publish(std::move(json));
}

bool MqttUdpDeviceLink::send_audio(std::string_view opus, std::uint32_t timestamp_ms) {
  auto* channel = inbox_->channel();
  if (closed_ || !channel) return false;
  if (held_.empty() && Clock::now() >= hold_until_) return channel->send(opus, timestamp_ms);
  if (held_.size() >= kMaxHeldFrames) return false;
  held_.emplace_back(std::string(opus), timestamp_ms);
  held_bytes_ += opus.size();
  if (!flush_timer_) {
    flush_timer_ = std::make_shared<asio::steady_timer>(mqtt_->executor());
    flush_timer_->expires_at(hold_until_);
    // A completion already queued when the link is destroyed must not touch it.
    flush_timer_->async_wait([this, alive = std::weak_ptr<bool>(alive_), timer = flush_timer_](
                                 const boost::system::error_code& ec) {
      if (ec || !alive.lock()) return;
      flush_held();
    });
  }
  return true;
}

void MqttUdpDeviceLink::flush_held() {
  flush_timer_.reset();
  auto* channel = inbox_->channel();
  for (auto& [opus, ts] : held_)
    if (channel && !closed_) channel->send(opus, ts);
  held_.clear();
  held_bytes_ = 0;
}

std::size_t MqttUdpDeviceLink::queued_bytes() const { return mqtt_->queued_bytes() + held_bytes_; }

void MqttUdpDeviceLink::on_hello(const protocol::HelloMsg&, protocol::ServerHello& reply) {
  session_id_ = reply.session_id;
  reply.transport = "udp";
  if (auto* channel = inbox_->channel())
    reply.udp = protocol::UdpInfo{udp_.server, udp_.port, channel->key_hex(), channel->nonce_hex()};
}

void MqttUdpDeviceLink::close(std::string reason) {
  if (closed_) return;
  // Only if the device still has this session: its own goodbye already ended it.
  if (!inbox_->ended()) mqtt_->publish(protocol::make_goodbye(session_id_));
  closed_ = true;
  inbox_->end(std::move(reason));
}

void MqttUdpDeviceLink::abort() {
  closed_ = true;
  inbox_->end("aborted");
}

std::string MqttUdpDeviceLink::remote_address() const { return mqtt_->remote_ip(); }

asio::any_io_executor MqttUdpDeviceLink::executor() const { return mqtt_->executor(); }

}  // namespace xz::session
