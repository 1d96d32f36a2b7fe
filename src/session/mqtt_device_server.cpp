#include "session/mqtt_device_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "net/udp_audio_endpoint.h"
#include "protocol/encoding.h"
#include "protocol/json_text.h"
#include "protocol/server_messages.h"

namespace xz::session {

namespace asio = boost::asio;
using Json = nlohmann::json;

struct MqttDeviceServer::Shared {
  SessionDeps deps;
  AdmissionPolicy policy;
  net::UdpAudioEndpoint* udp;
  UdpHelloInfo hello;
  IdleDeviceFactory idle;
  std::atomic<bool> stopping{false};
};

namespace {

class MqttDevice;

// The registry's handle on a device between conversations.
class IdleControl final : public SessionControl {
 public:
  IdleControl(std::weak_ptr<MqttDevice> dev, asio::any_io_executor ex) : dev_(std::move(dev)), ex_(std::move(ex)) {}
  void request_close(std::string reason, bool after_turn) override;
  void request_abort(std::string reason) override { request_close(std::move(reason), false); }
  asio::awaitable<bool> speak(std::string text) override;
  std::string_view speak_delivery() const override { return "alert"; }
  asio::awaitable<protocol::McpCallOutcome> call_device_tool(std::string name, Json arguments) override;
  asio::awaitable<Json> describe_tools() override;

 private:
  std::weak_ptr<MqttDevice> dev_;
  asio::any_io_executor ex_;
};

class MqttDevice final : public net::MqttConnectionHandler, public std::enable_shared_from_this<MqttDevice> {
 public:
  MqttDevice(std::shared_ptr<MqttDeviceServer::Shared> shared, std::shared_ptr<net::MqttDeviceConnection> conn,
             DeviceIdentity who)
      : shared_(std::move(shared)),
        conn_(std::move(conn)),
        who_(std::move(who)),
        log_(who_.device_key, "mqtt"),
        idle_key_("mqtt-idle-" + protocol::random_alnum(12)) {}

  void start() {
    control_ = std::make_shared<IdleControl>(weak_from_this(), conn_->executor());
    if (shared_->idle) {
      idle_ = shared_->idle(IdleDeviceContext{
          conn_->executor(), [w = weak_from_this()](std::string json) {
            auto d = w.lock();
            return d && d->conn_->publish(std::move(json));
          },
          who_, log_});
      if (idle_) idle_->start();
    }
    log_.info("MQTT connected from {} (client {}{})", who_.remote_ip, conn_->client_id(), conn_->tls() ? ", TLS" : "");
    register_idle();
  }

  void on_publish(std::string_view, std::string payload) override {
    Json j = protocol::parse_json_text(payload);
    if (j.is_discarded() || !j.is_object()) {
      drop("MQTT message", "not a JSON object");
      return;
    }
    auto t = j.find("type");
    const std::string type = t != j.end() && t->is_string() ? t->get<std::string>() : "";
    if (type == "hello") {
      on_hello(std::move(payload));
      return;
    }
    if (type == "goodbye") {
      // Not answered: the device has closed its channel already (§4.4).
      if (inbox_) inbox_->end("the device said goodbye");
      return;
    }
    if (type == "mcp" && idle_ && (!inbox_ || is_idle_mcp_answer(j))) {
      if (auto p = j.find("payload"); p != j.end() && p->is_object()) idle_->on_mcp(*p);
      return;
    }
    if (inbox_ && !inbox_->ended()) {
      inbox_->push_text(std::move(payload));
      return;
    }
    if (type == "mcp") return;  // no MCP client between conversations here
    // As the gateway does: a device that lost its session hears goodbye and recovers.
    auto sid = j.find("session_id");
    conn_->publish(protocol::make_goodbye(sid != j.end() && sid->is_string() ? sid->get<std::string>() : ""));
  }

  void on_close(net::MqttCloseReason reason) override {
    closed_ = true;
    log_.info("MQTT connection ended: {}", net::mqtt_close_reason_name(reason));
    if (inbox_) inbox_->end(std::string("MQTT connection ended: ") + std::string(net::mqtt_close_reason_name(reason)));
    unregister_idle();
    if (idle_) {
      auto self = shared_from_this();
      asio::co_spawn(conn_->executor(), [self]() -> asio::awaitable<void> { co_await self->idle_->stop(); },
                     asio::detached);
    }
  }

  // IdleControl's side, on the connection's executor.
  void close_connection(const std::string& reason) {
    if (closed_) return;
    log_.info("closing the MQTT connection: {}", reason);
    if (inbox_) inbox_->end(reason);
    conn_->close();
  }
  bool in_conversation() const { return inbox_ != nullptr; }
  bool open() const { return !closed_ && conn_->is_open(); }
  net::MqttDeviceConnection& connection() { return *conn_; }
  IdleDevice* idle() { return idle_.get(); }

 private:
  static bool is_idle_mcp_answer(const Json& msg) {
    auto p = msg.find("payload");
    if (p == msg.end() || !p->is_object()) return false;
    auto id = p->find("id");
    return id != p->end() && id->is_number_integer() && id->get<long long>() >= kIdleMcpFirstId;
  }

  void on_hello(std::string text) {
    if (shared_->stopping) return;  // the device's hello times out; it retries elsewhere
    if (inbox_) inbox_->end("replaced by a new hello from the device");
    auto inbox = std::make_shared<MqttUdpInbox>(conn_->executor());
    auto channel = shared_->udp->open_channel(
        conn_->executor(), [w = std::weak_ptr<MqttUdpInbox>(inbox)](protocol::UdpPacket packet) {
          if (auto in = w.lock()) in->push_audio(std::move(packet.opus), packet.header.timestamp);
        });
    if (!channel) {
      inbox_.reset();
      refuse("the server has no free audio channel, try again later");
      register_idle();
      return;
    }
    inbox->set_channel(std::move(channel));
    inbox->push_text(std::move(text));
    inbox_ = inbox;
    unregister_idle();
    if (admission_is_immediate(shared_->policy)) {
      launch(shared_->deps, inbox);
      return;
    }
    asio::co_spawn(conn_->executor(), admit_and_launch(shared_from_this(), inbox), asio::detached);
  }

  static asio::awaitable<void> admit_and_launch(std::shared_ptr<MqttDevice> self, std::shared_ptr<MqttUdpInbox> inbox) {
    auto admission = co_await admit(self->shared_->deps, self->shared_->policy, self->who_);
    if (self->inbox_ != inbox) co_return;  // replaced meanwhile; the newer hello owns the device
    if (inbox->ended() || !admission.deps) {
      if (!inbox->ended()) self->refuse(admission.refusal);
      inbox->end("refused");
      self->inbox_.reset();
      self->register_idle();
      co_return;
    }
    self->launch(*admission.deps, inbox);
  }

  void launch(const SessionDeps& deps, std::shared_ptr<MqttUdpInbox> inbox) {
    auto session =
        std::make_shared<Session>(deps, std::make_unique<MqttUdpDeviceLink>(conn_, inbox, shared_->hello), who_);
    asio::co_spawn(conn_->executor(), [session]() { return session->run(); },
                   [self = shared_from_this(), inbox](std::exception_ptr) { self->session_ended(inbox); });
  }

  void session_ended(const std::shared_ptr<MqttUdpInbox>& inbox) {
    if (inbox_ != inbox) return;
    inbox_.reset();
    if (!open()) return;
    if (shared_->stopping) {
      conn_->close();
      return;
    }
    register_idle();
  }

  void refuse(const std::string& reason) {
    spdlog::warn("[dev={} ip={}] conversation refused: {}", who_.device_id, who_.remote_ip, reason);
    conn_->publish(protocol::make_alert("", "error", "Connection refused: " + reason, "sad"));
  }

  void register_idle() {
    if (!open() || idle_registered_) return;
    SessionInfo info;
    info.device_id = who_.device_key;
    info.client_id = who_.client_id;
    info.session_id = idle_key_;
    info.idle = true;
    info.transport = "mqtt";
    info.protocol_version = 3;
    info.since = std::chrono::system_clock::now();
    info.state = "idle";
    info.remote_ip = who_.remote_ip;
    idle_registered_ = true;
    if (auto old = shared_->deps.registry.add(info, control_); old && old != control_)
      old->request_close("replaced by a new connection from the same device", false);
  }

  void unregister_idle() {
    if (!idle_registered_) return;
    idle_registered_ = false;
    shared_->deps.registry.remove(who_.device_key, idle_key_);
  }

  void drop(std::string_view what, std::string_view why) {
    ++dropped_;
    if (dropped_ <= 10 || dropped_ % 100 == 0) log_.warn("dropped {}: {} ({} dropped so far)", what, why, dropped_);
  }

  std::shared_ptr<MqttDeviceServer::Shared> shared_;
  std::shared_ptr<net::MqttDeviceConnection> conn_;
  DeviceIdentity who_;
  core::SessionLog log_;
  std::string idle_key_;
  std::shared_ptr<IdleControl> control_;
  std::unique_ptr<IdleDevice> idle_;
  std::shared_ptr<MqttUdpInbox> inbox_;  // the conversation's, while there is one
  bool closed_ = false;
  bool idle_registered_ = false;
  std::uint64_t dropped_ = 0;
};

void IdleControl::request_close(std::string reason, bool) {
  asio::post(ex_, [w = dev_, reason = std::move(reason)] {
    // A conversation that started meanwhile registered its own control: this one is stale.
    if (auto d = w.lock(); d && !d->in_conversation()) d->close_connection(reason);
  });
}

asio::awaitable<bool> IdleControl::speak(std::string text) {
  auto on_device = [](std::weak_ptr<MqttDevice> w, std::string text) -> asio::awaitable<bool> {
    auto d = w.lock();
    if (!d || !d->open()) throw std::runtime_error("the device has disconnected");
    // No audio channel between conversations (the device opens it, behind its NAT): the
    // text is shown, not spoken.
    co_return d->connection().publish(protocol::make_alert("", "info", text, "neutral"));
  };
  co_return co_await asio::co_spawn(ex_, on_device(dev_, std::move(text)), asio::use_awaitable);
}

asio::awaitable<protocol::McpCallOutcome> IdleControl::call_device_tool(std::string name, Json arguments) {
  auto on_device = [](std::weak_ptr<MqttDevice> w, std::string name,
                      Json arguments) -> asio::awaitable<protocol::McpCallOutcome> {
    auto d = w.lock();
    if (!d || !d->open()) throw std::runtime_error("the device has disconnected");
    if (!d->idle()) throw std::runtime_error("no MCP client for devices between conversations");
    co_return co_await d->idle()->call_tool(std::move(name), std::move(arguments));
  };
  co_return co_await asio::co_spawn(ex_, on_device(dev_, std::move(name), std::move(arguments)), asio::use_awaitable);
}

asio::awaitable<Json> IdleControl::describe_tools() {
  auto on_device = [](std::weak_ptr<MqttDevice> w) -> asio::awaitable<Json> {
    auto d = w.lock();
    if (!d || !d->open()) throw std::runtime_error("the device has disconnected");
    if (!d->idle()) co_return Json{{"llm", Json::array()}, {"device", Json::array()}};
    co_return d->idle()->describe_tools();
  };
  co_return co_await asio::co_spawn(ex_, on_device(dev_), asio::use_awaitable);
}

}  // namespace

MqttDeviceServer::MqttDeviceServer(SessionDeps deps, AdmissionPolicy policy, net::UdpAudioEndpoint& udp,
                                   UdpHelloInfo hello, IdleDeviceFactory idle)
    : shared_(std::make_shared<Shared>(std::move(deps), std::move(policy), &udp, std::move(hello), std::move(idle))) {}

MqttDeviceServer::~MqttDeviceServer() = default;

void MqttDeviceServer::stop_keeping_idle() { shared_->stopping = true; }

std::shared_ptr<net::MqttConnectionHandler> MqttDeviceServer::on_connected(
    std::shared_ptr<net::MqttDeviceConnection> connection) {
  DeviceIdentity who;
  who.device_id = connection->device_id();
  who.device_key = normalize_device_id(who.device_id);
  who.client_id = connection->uuid();
  who.protocol_version = 3;
  who.remote_ip = connection->remote_ip();
  if (!is_valid_device_id(who.device_id) || client_id_problem(who.client_id)) {
    spdlog::warn("mqtt: login from {} refused: client id {} has no usable device id / uuid", who.remote_ip,
                 connection->client_id());
    return nullptr;
  }
  auto device = std::make_shared<MqttDevice>(shared_, std::move(connection), std::move(who));
  device->start();
  return device;
}

}  // namespace xz::session
