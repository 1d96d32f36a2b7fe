#include "net/mqtt_client.h"

#include <algorithm>
#include <array>
#include <deque>
#include <unordered_map>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/tls_client.h"

namespace xz::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace mqtt = protocol::mqtt;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {
using TlsStream = ssl::stream<tcp::socket>;
constexpr std::size_t kReadBytes = 4096;
}  // namespace

struct MqttClient::Impl {
  Impl(asio::any_io_executor e, MqttClientOptions o)
      : ex(e), opts(std::move(o)), wake(e, Clock::time_point::max()), ping_timer(e), reader(opts.max_packet_bytes) {}

  asio::any_io_executor ex;
  MqttClientOptions opts;
  std::shared_ptr<tcp::socket> plain;
  std::shared_ptr<TlsStream> tls;

  std::deque<std::string> queue;
  std::size_t queued = 0;
  asio::steady_timer wake;
  asio::steady_timer ping_timer;
  bool closing = false;
  bool ended = false;

  mqtt::PacketReader reader;
  std::deque<MqttMessage> inbox;
  std::uint16_t next_id = 0;
  // Acknowledgements someone waits for (unsolicited ones are not kept).
  std::unordered_map<std::uint16_t, bool> pubacks;
  std::unordered_map<std::uint16_t, std::optional<std::uint8_t>> subacks;
  std::uint64_t pingresps = 0;
  std::vector<asio::steady_timer*> waiters;

  tcp::socket& lowest() { return tls ? tls->next_layer() : *plain; }

  template <class F>
  auto with_stream(F f) {
    if (tls) return f(*tls);
    return f(*plain);
  }

  std::uint16_t packet_id() {
    if (++next_id == 0) next_id = 1;
    return next_id;
  }

  void signal() {
    for (auto* t : waiters) t->cancel();
  }

  void end() {
    if (ended) return;
    ended = true;
    error_code ec;
    lowest().close(ec);
    wake.cancel();
    ping_timer.cancel();
    signal();
  }

  bool enqueue(std::string packet) {
    if (ended || closing) return false;
    if (queued + packet.size() > opts.max_queued_bytes) return false;
    queued += packet.size();
    queue.push_back(std::move(packet));
    wake.cancel();
    return true;
  }

  // Waits until pred() holds, the connection ends or the deadline passes; pred()'s value.
  template <class Pred>
  asio::awaitable<bool> wait_until(Pred pred, Clock::time_point deadline) {
    asio::steady_timer t(ex, deadline);
    while (!pred()) {
      if (ended || Clock::now() >= deadline) co_return pred();
      waiters.push_back(&t);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      waiters.erase(std::find(waiters.begin(), waiters.end(), &t));
    }
    co_return true;
  }

  // Reads once into the packet reader; false when the connection broke.
  asio::awaitable<bool> read_some() {
    std::array<char, kReadBytes> buf;
    auto [ec, n] = co_await with_stream(
        [&](auto& s) { return s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable)); });
    if (ec) co_return false;
    reader.feed(std::string_view(buf.data(), n));
    co_return true;
  }
};

namespace {

// One packet from the server; false when the connection must end.
bool handle(MqttClient::Impl& c, const mqtt::Packet& p) {
  mqtt::DecodeError err;
  switch (p.type) {
    case mqtt::PacketType::publish: {
      auto m = mqtt::decode_publish(p, &err);
      if (!m || m->qos == 2) return false;
      if (m->qos == 1) c.enqueue(mqtt::encode_puback(m->packet_id));
      c.inbox.push_back({std::move(m->topic), std::move(m->payload)});
      return true;
    }
    case mqtt::PacketType::puback: {
      auto id = mqtt::decode_puback(p, &err);
      if (!id) return false;
      if (auto it = c.pubacks.find(*id); it != c.pubacks.end()) it->second = true;
      return true;
    }
    case mqtt::PacketType::suback: {
      auto s = mqtt::decode_suback(p, &err);
      if (!s) return false;
      if (auto it = c.subacks.find(s->packet_id); it != c.subacks.end()) it->second = s->return_codes.front();
      return true;
    }
    case mqtt::PacketType::unsuback:
      return mqtt::decode_unsuback(p, &err).has_value();
    case mqtt::PacketType::pingresp:
      if (!mqtt::check_empty_packet(p, p.type, &err)) return false;
      ++c.pingresps;
      return true;
    default:
      return false;
  }
}

asio::awaitable<void> read_loop(std::shared_ptr<MqttClient::Impl> c) {
  while (!c->ended) {
    while (auto p = c->reader.next()) {
      if (!handle(*c, *p)) {
        c->end();
        co_return;
      }
      c->signal();
      // Messages nobody takes stop the reading (the server then sees a slow reader).
      if (c->inbox.size() >= c->opts.max_unread_messages) {
        co_await c->wait_until([&] { return c->inbox.size() < c->opts.max_unread_messages; },
                               Clock::time_point::max());
        if (c->ended) co_return;
      }
    }
    if (c->reader.failed() || !co_await c->read_some()) {
      c->end();
      co_return;
    }
  }
}

asio::awaitable<void> write_loop(std::shared_ptr<MqttClient::Impl> c) {
  std::string batch;
  for (;;) {
    if (c->ended) co_return;
    if (c->queue.empty()) {
      if (c->closing) {
        c->end();
        co_return;
      }
      c->wake.expires_at(Clock::time_point::max());
      co_await c->wake.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    batch.clear();
    while (!c->queue.empty()) {
      batch += c->queue.front();
      c->queue.pop_front();
    }
    auto [ec, n] = co_await c->with_stream(
        [&](auto& s) { return asio::async_write(s, asio::buffer(batch), asio::as_tuple(asio::use_awaitable)); });
    c->queued -= std::min(c->queued, batch.size());
    if (ec) {
      c->end();
      co_return;
    }
  }
}

asio::awaitable<void> ping_loop(std::shared_ptr<MqttClient::Impl> c) {
  while (!c->ended) {
    c->ping_timer.expires_after(std::chrono::seconds(c->opts.keep_alive_seconds));
    co_await c->ping_timer.async_wait(asio::as_tuple(asio::use_awaitable));  // the end cancels it
    if (!c->ended) c->enqueue(mqtt::encode_pingreq());
  }
}

asio::awaitable<void> connect_guard(std::shared_ptr<MqttClient::Impl> c, std::shared_ptr<asio::steady_timer> t,
                                    std::shared_ptr<bool> timed_out) {
  auto [ec] = co_await t->async_wait(asio::as_tuple(asio::use_awaitable));
  if (ec) co_return;
  *timed_out = true;
  error_code ignored;
  c->lowest().close(ignored);
}

}  // namespace

MqttClient::MqttClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
MqttClient::~MqttClient() {
  if (impl_) impl_->end();
}

asio::awaitable<std::shared_ptr<MqttClient>> MqttClient::connect(MqttClientOptions opts) {
  auto ex = co_await asio::this_coro::executor;
  auto c = std::make_shared<Impl>(ex, std::move(opts));
  const auto& o = c->opts;
  const std::string where = o.host + ":" + std::to_string(o.port);
  if (o.tls) {
    auto ctx = o.tls_context ? o.tls_context
                             : std::make_shared<ssl::context>(make_tls_client_context("", "", true));
    c->tls = std::make_shared<TlsStream>(ex, *ctx);
    c->opts.tls_context = ctx;  // the stream uses it for its whole life
    if (!name_tls_peer(*c->tls, o.host, true)) throw std::runtime_error("mqtt: cannot name the TLS peer " + o.host);
  } else {
    c->plain = std::make_shared<tcp::socket>(ex);
  }
  auto guard = std::make_shared<asio::steady_timer>(ex, o.connect_timeout);
  auto timed_out = std::make_shared<bool>(false);
  asio::co_spawn(ex, connect_guard(c, guard, timed_out), asio::detached);
  auto fail = [&](const std::string& what) -> std::runtime_error {
    guard->cancel();
    c->end();
    return std::runtime_error("mqtt: " + where + ": " + (*timed_out ? "no CONNACK within the connect timeout" : what));
  };

  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(o.host, std::to_string(o.port),
                                                          asio::as_tuple(asio::use_awaitable));
  if (rec) throw fail("cannot resolve: " + rec.message());
  auto [cec, ep] = co_await asio::async_connect(c->lowest(), endpoints, asio::as_tuple(asio::use_awaitable));
  if (cec) throw fail("cannot connect: " + cec.message());
  error_code nec;  // the firmware's small messages must not wait for delayed ACKs (Nagle)
  c->lowest().set_option(tcp::no_delay(true), nec);
  if (c->tls) {
    auto [hec] = co_await c->tls->async_handshake(ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
    if (hec) throw fail("TLS handshake failed: " + hec.message());
  }

  mqtt::Connect login;
  login.client_id = o.client_id;
  login.keep_alive_seconds = o.keep_alive_seconds;
  if (!o.username.empty() || !o.password.empty()) login.username = o.username;
  if (!o.password.empty()) login.password = o.password;
  const std::string hello = mqtt::encode_connect(login);
  auto [wec, wn] = co_await c->with_stream(
      [&](auto& s) { return asio::async_write(s, asio::buffer(hello), asio::as_tuple(asio::use_awaitable)); });
  if (wec) throw fail("cannot send CONNECT: " + wec.message());

  std::optional<mqtt::Packet> first;
  while (!(first = c->reader.next())) {
    if (c->reader.failed()) throw fail("bad answer to CONNECT: " + c->reader.error());
    if (!co_await c->read_some()) throw fail("closed before CONNACK");
  }
  mqtt::DecodeError err;
  auto ack = mqtt::decode_connack(*first, &err);
  if (!ack) {
    guard->cancel();
    c->end();
    throw MqttConnectError("mqtt: " + where + ": bad answer to CONNECT: " + err.message, std::nullopt);
  }
  if (ack->code != mqtt::ConnackCode::accepted) {
    guard->cancel();
    c->end();
    throw MqttConnectError("mqtt: " + where + ": CONNECT refused with code " + std::to_string(static_cast<int>(ack->code)),
                           ack->code);
  }
  guard->cancel();
  if (*timed_out) throw fail("");

  asio::co_spawn(ex, read_loop(c), asio::detached);
  asio::co_spawn(ex, write_loop(c), asio::detached);
  if (o.send_pings && o.keep_alive_seconds > 0) asio::co_spawn(ex, ping_loop(c), asio::detached);
  co_return std::make_shared<MqttClient>(c);
}

bool MqttClient::publish(std::string_view topic, std::string_view payload) {
  mqtt::Publish p;
  p.topic = topic;
  p.payload = payload;
  return impl_->enqueue(mqtt::encode_publish(p));
}

asio::awaitable<bool> MqttClient::publish_acked(std::string_view topic, std::string_view payload,
                                                std::chrono::milliseconds timeout) {
  auto c = impl_;
  mqtt::Publish p;
  p.topic = topic;
  p.payload = payload;
  p.qos = 1;
  p.packet_id = c->packet_id();
  const auto id = p.packet_id;
  c->pubacks[id] = false;
  bool ok = c->enqueue(mqtt::encode_publish(p));
  if (ok) ok = co_await c->wait_until([&] { return c->pubacks[id]; }, Clock::now() + timeout);
  c->pubacks.erase(id);
  co_return ok;
}

asio::awaitable<std::optional<MqttMessage>> MqttClient::receive(std::optional<std::chrono::milliseconds> timeout) {
  auto c = impl_;
  const auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
  if (!co_await c->wait_until([&] { return !c->inbox.empty(); }, deadline)) co_return std::nullopt;
  MqttMessage m = std::move(c->inbox.front());
  c->inbox.pop_front();
  c->signal();  // the reader may be waiting for room
  co_return m;
}

asio::awaitable<bool> MqttClient::ping(std::chrono::milliseconds timeout) {
  auto c = impl_;
  const auto before = c->pingresps;
  if (!c->enqueue(mqtt::encode_pingreq())) co_return false;
  co_return co_await c->wait_until([&] { return c->pingresps > before; }, Clock::now() + timeout);
}

asio::awaitable<std::optional<std::uint8_t>> MqttClient::subscribe(std::string_view filter, std::uint8_t qos,
                                                                   std::chrono::milliseconds timeout) {
  auto c = impl_;
  mqtt::Subscribe s;
  s.packet_id = c->packet_id();
  s.topics.push_back({std::string(filter), qos});
  const auto id = s.packet_id;
  c->subacks[id] = std::nullopt;
  std::optional<std::uint8_t> out;
  if (c->enqueue(mqtt::encode_subscribe(s))) {
    co_await c->wait_until([&] { return c->subacks[id].has_value(); }, Clock::now() + timeout);
    out = c->subacks[id];
  }
  c->subacks.erase(id);
  co_return out;
}

void MqttClient::disconnect() {
  if (impl_->enqueue(mqtt::encode_disconnect())) {
    impl_->closing = true;
    impl_->wake.cancel();
  } else {
    impl_->end();
  }
}

void MqttClient::abort() { impl_->end(); }

bool MqttClient::is_open() const { return !impl_->ended && !impl_->closing; }

asio::awaitable<void> MqttClient::wait_closed() {
  auto c = impl_;
  co_await c->wait_until([&] { return c->ended; }, Clock::time_point::max());
}

}  // namespace xz::net
