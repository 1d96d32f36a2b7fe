#include "net/mqtt_server.h"

#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "core/async.h"
#include "core/metrics.h"
#include "core/token_bucket.h"
#include "protocol/mqtt_credentials.h"

namespace xz::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace mqtt = protocol::mqtt;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {
constexpr std::size_t kWriteBatchBytes = 64 * 1024;  // queued packets written in one go
constexpr std::size_t kPlainReadBytes = 16 * 1024;   // one loop-wide scratch buffer
constexpr std::size_t kTlsReadBytes = 2048;          // per TLS connection, in its frame
constexpr auto kNoDeadline = Clock::time_point::max();

// The reasons counted in xiaozhi_mqtt_dropped_total (closures the server decided).
constexpr MqttCloseReason kDropReasons[] = {MqttCloseReason::login_timeout, MqttCloseReason::keep_alive, MqttCloseReason::oversize,
                                            MqttCloseReason::rate, MqttCloseReason::slow_reader,
                                            MqttCloseReason::protocol, MqttCloseReason::replaced};
}  // namespace

std::string_view mqtt_close_reason_name(MqttCloseReason r) {
  switch (r) {
    case MqttCloseReason::disconnect: return "disconnect";
    case MqttCloseReason::peer_closed: return "peer_closed";
    case MqttCloseReason::closed_by_server: return "closed_by_server";
    case MqttCloseReason::replaced: return "replaced";
    case MqttCloseReason::login_timeout: return "login_timeout";
    case MqttCloseReason::keep_alive: return "keep_alive";
    case MqttCloseReason::oversize: return "oversize";
    case MqttCloseReason::rate: return "rate";
    case MqttCloseReason::slow_reader: return "slow_reader";
    case MqttCloseReason::protocol: return "protocol";
  }
  return "?";
}

MqttLoginCheck official_mqtt_login(std::string signature_key) {
  return [key = std::move(signature_key)](const MqttLogin& l) {
    if (key.empty()) return mqtt::ConnackCode::not_authorized;
    return protocol::check_mqtt_password(key, l.client_id, l.username, l.password)
               ? mqtt::ConnackCode::accepted
               : mqtt::ConnackCode::bad_username_or_password;
  };
}

struct MqttServer::Impl {
  Impl(core::Runtime& r, MqttServerOptions o, MqttLoginCheck l, std::shared_ptr<MqttDeviceHandler> h,
       core::Metrics* m)
      : rt(r), opts(std::move(o)), login(std::move(l)), handler(std::move(h)) {
    if (m) {
      connections = &m->gauge("xiaozhi_mqtt_connections", "Devices logged in over MQTT");
      refused_logins = &m->counter("xiaozhi_mqtt_logins_refused_total",
                                   "MQTT CONNECTs refused (bad credentials, client id or protocol level)");
      for (auto r : kDropReasons)
        dropped[static_cast<std::size_t>(r)] =
            &m->counter("xiaozhi_mqtt_dropped_total", "MQTT connections the server closed, by reason",
                        "reason=\"" + std::string(mqtt_close_reason_name(r)) + "\"");
    }
  }

  core::Runtime& rt;
  MqttServerOptions opts;
  MqttLoginCheck login;
  std::shared_ptr<MqttDeviceHandler> handler;
  std::shared_ptr<ssl::context> tls_context;
  std::size_t next_loop = 0;  // accept loop only
  std::atomic<bool> stopping{false};

  core::Gauge* connections = nullptr;
  core::Counter* refused_logins = nullptr;
  std::array<core::Counter*, 16> dropped{};

  // Every open connection (for stop) and the logged-in ones by client id (for replacing).
  std::mutex mu;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<MqttDeviceConnection::State>> open;
  std::unordered_map<std::string, std::weak_ptr<MqttDeviceConnection::State>> by_client_id;
  std::atomic<std::size_t> logged_in{0};
};

// The listening sockets, held by the server and its accept loops but never by a
// connection: one that ends while the loops shut down must not hold an I/O object of
// another loop.
struct MqttServer::Listeners {
  explicit Listeners(asio::io_context& io) : plain(io), tls(io) {}
  tcp::acceptor plain;
  tcp::acceptor tls;
};

struct MqttDeviceConnection::State : std::enable_shared_from_this<MqttDeviceConnection::State> {
  State(asio::any_io_executor e, std::shared_ptr<MqttServer::Impl> s)
      : ex(e), server(std::move(s)), watch(e, kNoDeadline) {}

  asio::any_io_executor ex;
  std::shared_ptr<MqttServer::Impl> server;
  std::uint64_t id = 0;
  std::shared_ptr<void> slot;  // the connection cap's slot, held while open

  std::string client_id, username, group_id, device_id, uuid, remote_ip, reply_topic;
  bool tls = false;
  bool logged_in = false;
  std::uint16_t keep_alive = 0;
  std::shared_ptr<MqttConnectionHandler> handler;

  // Outbound: whole packets, written in order by the writer coroutine, which runs only
  // while there is something to write (an idle device holds no writer).
  std::deque<std::string> queue;
  std::size_t queued = 0;
  std::function<void()> start_writer;  // set while the connection serves
  bool writer_running = false;
  bool writing = false;
  Clock::time_point write_started{};

  // The watchdog: CONNECT deadline, keep-alive, stuck writes.
  asio::steady_timer watch;
  Clock::time_point accepted_at = Clock::now();
  Clock::time_point last_inbound = accepted_at;

  bool closing = false;  // close(): flush the queue, then end
  bool ended = false;    // the socket is closed
  MqttCloseReason reason = MqttCloseReason::peer_closed;
  MqttCloseReason closing_reason = MqttCloseReason::closed_by_server;
  std::function<void()> close_socket;

  bool enqueue(std::string packet) {
    if (ended || closing) return false;
    if (queued + packet.size() > server->opts.max_queued_bytes) {
      spdlog::warn("mqtt: {} ({}) is not reading: {} bytes queued; closing", client_id, remote_ip, queued);
      end(MqttCloseReason::slow_reader);
      return false;
    }
    queued += packet.size();
    queue.push_back(std::move(packet));
    wake_writer();
    return true;
  }

  void wake_writer() {
    if (writer_running || !start_writer || (queue.empty() && !closing)) return;
    writer_running = true;
    start_writer();
  }

  void close_after_flush(MqttCloseReason r) {
    if (ended || closing) return;
    closing = true;
    closing_reason = r;
    wake_writer();
  }

  void end(MqttCloseReason r) {
    if (ended) return;
    ended = true;
    reason = r;
    if (auto* c = server->dropped[static_cast<std::size_t>(r)]) c->inc();
    if (close_socket) close_socket();
    watch.cancel();
  }

  // The earliest moment the watchdog must look again.
  Clock::time_point deadline() const {
    auto d = kNoDeadline;
    if (!logged_in) d = accepted_at + server->opts.connect_timeout;
    else if (keep_alive > 0) d = last_inbound + std::chrono::milliseconds(keep_alive * 1500);
    if (writing) d = std::min(d, write_started + server->opts.write_timeout);
    return d;
  }
};

MqttDeviceConnection::MqttDeviceConnection(std::shared_ptr<State> state) : state_(std::move(state)) {}
MqttDeviceConnection::~MqttDeviceConnection() = default;
const std::string& MqttDeviceConnection::client_id() const { return state_->client_id; }
const std::string& MqttDeviceConnection::username() const { return state_->username; }
const std::string& MqttDeviceConnection::group_id() const { return state_->group_id; }
const std::string& MqttDeviceConnection::device_id() const { return state_->device_id; }
const std::string& MqttDeviceConnection::uuid() const { return state_->uuid; }
const std::string& MqttDeviceConnection::remote_ip() const { return state_->remote_ip; }
bool MqttDeviceConnection::tls() const { return state_->tls; }
std::uint16_t MqttDeviceConnection::keep_alive_seconds() const { return state_->keep_alive; }
const std::string& MqttDeviceConnection::reply_topic() const { return state_->reply_topic; }
asio::any_io_executor MqttDeviceConnection::executor() const { return state_->ex; }
std::size_t MqttDeviceConnection::queued_bytes() const { return state_->queued; }
bool MqttDeviceConnection::is_open() const { return !state_->ended && !state_->closing; }
void MqttDeviceConnection::close() { state_->close_after_flush(MqttCloseReason::closed_by_server); }

bool MqttDeviceConnection::publish(std::string payload) {
  mqtt::Publish p;
  p.topic = state_->reply_topic;
  p.payload = std::move(payload);
  return state_->enqueue(mqtt::encode_publish(p));
}

bool MqttDeviceConnection::publish(std::string_view topic, std::string_view payload) {
  mqtt::Publish p;
  p.topic = topic;
  p.payload = payload;
  return state_->enqueue(mqtt::encode_publish(p));
}

namespace {

using State = MqttDeviceConnection::State;
using TlsStream = ssl::stream<tcp::socket>;

tcp::socket& lowest(tcp::socket& s) { return s; }
tcp::socket& lowest(TlsStream& s) { return s.next_layer(); }

// The watchdog: a plain timer callback, not a coroutine (an idle device's memory counts).
// Whoever moves a deadline earlier cancels the timer; the callback then re-arms.
void watch(std::shared_ptr<State> st) {
  if (st->ended) return;
  st->watch.expires_at(st->deadline());
  st->watch.async_wait([st](const error_code&) {
    if (st->ended) return;
    const auto now = Clock::now();
    if (!st->logged_in && now >= st->accepted_at + st->server->opts.connect_timeout) {
      spdlog::info("mqtt: no CONNECT from {} within {} ms; closing", st->remote_ip,
                   st->server->opts.connect_timeout.count());
      return st->end(MqttCloseReason::login_timeout);
    }
    if (st->logged_in && st->keep_alive > 0 &&
        now >= st->last_inbound + std::chrono::milliseconds(st->keep_alive * 1500)) {
      spdlog::info("mqtt: {} ({}) silent for 1.5 x its keep-alive of {} s; closing", st->client_id, st->remote_ip,
                   st->keep_alive);
      return st->end(MqttCloseReason::keep_alive);
    }
    if (st->writing && now >= st->write_started + st->server->opts.write_timeout) {
      spdlog::warn("mqtt: {} ({}): a write took over {} ms; closing", st->client_id, st->remote_ip,
                   st->server->opts.write_timeout.count());
      return st->end(MqttCloseReason::slow_reader);
    }
    watch(st);
  });
}

template <class Stream>
asio::awaitable<void> writer(std::shared_ptr<State> st, std::shared_ptr<Stream> stream) {
  std::string batch;
  for (;;) {
    if (st->ended) break;
    if (st->queue.empty()) {
      if (st->closing) {
        error_code ec;
        lowest(*stream).shutdown(tcp::socket::shutdown_send, ec);
        st->end(st->closing_reason);
      }
      break;
    }
    batch.clear();
    while (!st->queue.empty() && (batch.empty() || batch.size() + st->queue.front().size() <= kWriteBatchBytes)) {
      batch += st->queue.front();
      st->queue.pop_front();
    }
    st->writing = true;
    st->write_started = Clock::now();
    if (st->write_started + st->server->opts.write_timeout < st->watch.expiry()) st->watch.cancel();
    auto [ec, n] = co_await asio::async_write(*stream, asio::buffer(batch), asio::as_tuple(asio::use_awaitable));
    st->writing = false;
    st->queued -= std::min(st->queued, batch.size());
    if (ec) {
      st->end(MqttCloseReason::peer_closed);
      break;
    }
  }
  st->writer_running = false;
}

void refuse(State& st, mqtt::ConnackCode code, const std::string& why) {
  spdlog::info("mqtt: login from {} refused (CONNACK {}): {}", st.remote_ip, static_cast<int>(code), why);
  if (st.server->refused_logins) st.server->refused_logins->inc();
  st.enqueue(mqtt::encode_connack({false, code}));
  st.close_after_flush(MqttCloseReason::closed_by_server);
}

void log_protocol(State& st, std::string_view what) {
  spdlog::warn("mqtt: {} ({}): {}; closing", st.client_id.empty() ? "device" : st.client_id, st.remote_ip, what);
}

void login(const std::shared_ptr<State>& st, const mqtt::Packet& p) {
  auto& impl = *st->server;
  mqtt::DecodeError err;
  auto c = mqtt::decode_connect(p, &err);
  if (!c) {
    if (err.refuse) return refuse(*st, *err.refuse, err.message);
    log_protocol(*st, err.message);
    return st->end(MqttCloseReason::protocol);
  }
  auto identity = protocol::parse_mqtt_client_id(c->client_id);
  if (!identity) return refuse(*st, mqtt::ConnackCode::identifier_rejected, "client id '" + c->client_id + "'");
  const std::string username = c->username.value_or("");
  const auto code = impl.login(MqttLogin{c->client_id, username, c->password.value_or(""), st->remote_ip});
  if (code != mqtt::ConnackCode::accepted) return refuse(*st, code, "credentials of " + c->client_id);

  st->client_id = std::move(c->client_id);
  st->username = username;
  st->group_id = std::move(identity->group_id);
  st->device_id = std::move(identity->device_id);
  st->uuid = std::move(identity->uuid);
  st->reply_topic = "devices/p2p/" + identity->mac_topic;
  st->keep_alive = c->keep_alive_seconds;
  st->logged_in = true;
  st->watch.cancel();  // the CONNECT deadline gives way to the keep-alive

  std::shared_ptr<State> old;
  {
    std::lock_guard lk(impl.mu);
    auto& slot = impl.by_client_id[st->client_id];
    old = slot.lock();
    slot = st;
  }
  if (old) {
    spdlog::info("mqtt: {} logged in again from {}; its connection from {} is closed", st->client_id, st->remote_ip,
                 old->remote_ip);
    asio::post(old->ex, [old] { old->end(MqttCloseReason::replaced); });
  }
  ++impl.logged_in;
  if (impl.connections) impl.connections->add(1);
  spdlog::info("mqtt: {} logged in from {}{} (keep-alive {} s)", st->client_id, st->remote_ip,
               st->tls ? " over TLS" : "", st->keep_alive);
  st->enqueue(mqtt::encode_connack({false, mqtt::ConnackCode::accepted}));
  try {
    st->handler = impl.handler ? impl.handler->on_connected(std::make_shared<MqttDeviceConnection>(st)) : nullptr;
  } catch (const std::exception& e) {
    spdlog::error("mqtt: {}: the connection handler failed: {}", st->client_id, e.what());
  }
  if (!st->handler) st->close_after_flush(MqttCloseReason::closed_by_server);
}

// One packet from a device; a bad one ends the connection (st->end).
void handle(const std::shared_ptr<State>& st, mqtt::Packet p) {
  if (st->closing) return;  // refused or closing: what still arrives is dropped
  if (!st->logged_in) {
    if (p.type != mqtt::PacketType::connect) {
      log_protocol(*st, std::string(mqtt::packet_type_name(p.type)) + " before CONNECT");
      return st->end(MqttCloseReason::protocol);
    }
    return login(st, p);
  }
  mqtt::DecodeError err;
  switch (p.type) {
    case mqtt::PacketType::publish: {
      auto m = mqtt::decode_publish(p, &err);
      if (!m) break;
      if (m->qos == 2) {
        // As the gateway: QoS 2 is not served.
        log_protocol(*st, "PUBLISH with QoS 2");
        return st->end(MqttCloseReason::protocol);
      }
      if (m->qos == 1 && !st->enqueue(mqtt::encode_puback(m->packet_id))) return;
      if (st->handler) {
        try {
          st->handler->on_publish(m->topic, std::move(m->payload));
        } catch (const std::exception& e) {
          spdlog::error("mqtt: {}: handling a PUBLISH failed: {}", st->client_id, e.what());
        }
      }
      return;
    }
    case mqtt::PacketType::puback:
      if (mqtt::decode_puback(p, &err)) return;  // we publish at QoS 0: nothing waits for it
      break;
    case mqtt::PacketType::subscribe:
      if (auto s = mqtt::decode_subscribe(p, &err)) {
        // Topics are ignored: every message for the device is written to its connection.
        mqtt::Suback ack{s->packet_id, {}};
        for (const auto& t : s->topics) ack.return_codes.push_back(std::min<std::uint8_t>(t.qos, 1));
        st->enqueue(mqtt::encode_suback(ack));
        return;
      }
      break;
    case mqtt::PacketType::unsubscribe:
      if (auto u = mqtt::decode_unsubscribe(p, &err)) {
        st->enqueue(mqtt::encode_unsuback(u->packet_id));
        return;
      }
      break;
    case mqtt::PacketType::pingreq:
      if (mqtt::check_empty_packet(p, p.type, &err)) {
        st->enqueue(mqtt::encode_pingresp());
        return;
      }
      break;
    case mqtt::PacketType::disconnect:
      if (mqtt::check_empty_packet(p, p.type, &err)) return st->end(MqttCloseReason::disconnect);
      break;
    default:
      err.message = std::string(mqtt::packet_type_name(p.type)) + " from a device";
      break;
  }
  log_protocol(*st, err.message);
  st->end(MqttCloseReason::protocol);
}

// Reads what arrived. Plain sockets wait for readability and read into a loop-wide
// scratch buffer, so an idle device holds no read buffer; TLS reads into its frame.
template <class Stream>
asio::awaitable<bool> read_into(Stream& stream, mqtt::PacketReader& reader) {
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    for (;;) {
      auto [wec] = co_await stream.async_wait(tcp::socket::wait_read, asio::as_tuple(asio::use_awaitable));
      if (wec) co_return false;
      thread_local std::array<char, kPlainReadBytes> scratch;
      error_code ec;
      const std::size_t n = stream.read_some(asio::buffer(scratch), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
      if (ec) co_return false;
      reader.feed(std::string_view(scratch.data(), n));
      co_return true;
    }
  } else {
    std::array<char, kTlsReadBytes> buf;
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    if (ec) co_return false;
    reader.feed(std::string_view(buf.data(), n));
    co_return true;
  }
}

// Breaks the state's cycles (handler -> connection -> state, state -> its functions ->
// stream) also when the frame is destroyed unfinished, as loops that stop do.
struct ServeGuard {
  std::shared_ptr<State> st;
  ~ServeGuard() {
    st->handler.reset();
    st->start_writer = nullptr;
    st->close_socket = nullptr;
  }
};

template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<State> st, std::shared_ptr<Stream> stream) {
  ServeGuard guard{st};
  auto& impl = *st->server;
  st->close_socket = [stream] {
    error_code ec;
    lowest(*stream).close(ec);
  };
  watch(st);

  bool ok = true;
  if constexpr (!std::is_same_v<Stream, tcp::socket>) {
    auto [ec] = co_await stream->async_handshake(ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      spdlog::info("mqtt: TLS handshake with {} failed: {}", st->remote_ip, ec.message());
      ok = false;
      st->end(MqttCloseReason::peer_closed);
    }
  } else {
    error_code ec;
    stream->non_blocking(true, ec);
  }
  if (ok && !st->ended) {
    // Raw pointer: the function lives in the state it points to, and is cleared below.
    st->start_writer = [raw = st.get(), stream] {
      asio::co_spawn(raw->ex, writer(raw->shared_from_this(), stream), asio::detached);
    };
    core::TokenBucket bucket(impl.opts.max_packets_per_second, impl.opts.packet_burst, Clock::now());
    mqtt::PacketReader reader(impl.opts.max_packet_bytes);
    while (!st->ended) {
      if (!co_await read_into(*stream, reader)) {
        st->end(MqttCloseReason::peer_closed);
        break;
      }
      const auto now = Clock::now();
      st->last_inbound = now;
      while (!st->ended) {
        auto p = reader.next();
        if (!p) break;
        if (!bucket.take(1, now)) {
          log_protocol(*st, "more than " + std::to_string(impl.opts.max_packets_per_second) + " packets a second");
          st->end(MqttCloseReason::rate);
          break;
        }
        handle(st, std::move(*p));
      }
      if (reader.failed() && !st->ended) {
        log_protocol(*st, reader.error());
        st->end(reader.oversize() ? MqttCloseReason::oversize : MqttCloseReason::protocol);
      }
    }
  }

  // The end: one place that tells the handler and forgets the connection.
  {
    std::lock_guard lk(impl.mu);
    impl.open.erase(st->id);
    if (st->logged_in) {
      auto it = impl.by_client_id.find(st->client_id);
      if (it != impl.by_client_id.end()) {
        auto cur = it->second.lock();
        if (!cur || cur == st) impl.by_client_id.erase(it);
      }
    }
  }
  if (st->logged_in) {
    --impl.logged_in;
    if (impl.connections) impl.connections->add(-1);
    spdlog::info("mqtt: {} ({}) disconnected: {}", st->client_id, st->remote_ip, mqtt_close_reason_name(st->reason));
  }
  st->queue.clear();
  st->queued = 0;
  if (auto h = std::move(st->handler)) {
    try {
      h->on_close(st->reason);
    } catch (const std::exception& e) {
      spdlog::error("mqtt: {}: the close handler failed: {}", st->client_id, e.what());
    }
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<MqttServer::Impl> impl,
                                  std::shared_ptr<MqttServer::Listeners> listeners, bool tls) {
  auto& acceptor = tls ? listeners->tls : listeners->plain;
  for (;;) {
    auto& loop = impl->rt.loop(impl->next_loop++ % impl->rt.loop_count());
    auto [ec, socket] = co_await acceptor.async_accept(loop, asio::as_tuple(asio::use_awaitable));
    if (impl->stopping || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      spdlog::warn("mqtt: accept failed: {}", ec.message());
      co_await core::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    error_code pec;
    const auto peer = socket.remote_endpoint(pec);
    if (pec) continue;
    // Without it Nagle holds a PUBLISH written right after another (tts start after stt)
    // until the device's delayed ACK, ~40 ms: long enough for UDP audio to overtake it.
    socket.set_option(tcp::no_delay(true), pec);
    std::shared_ptr<void> slot;
    if (impl->opts.limiter) {
      auto admission = impl->opts.limiter->admit(peer.address());
      if (!admission.slot) continue;  // closed at once; the limiter counts it
      slot = std::move(admission.slot);
    }
    auto st = std::make_shared<State>(loop.get_executor(), impl);
    st->slot = std::move(slot);
    st->tls = tls;
    auto addr = peer.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
    st->remote_ip = addr.to_string();
    {
      std::lock_guard lk(impl->mu);
      st->id = impl->next_id++;
      impl->open[st->id] = st;
    }
    if (tls) {
      auto stream = std::make_shared<TlsStream>(std::move(socket), *impl->tls_context);
      asio::co_spawn(loop, serve(st, std::move(stream)), asio::detached);
    } else {
      asio::co_spawn(loop, serve(st, std::make_shared<tcp::socket>(std::move(socket))), asio::detached);
    }
  }
}

void listen(tcp::acceptor& a, const std::string& address, std::uint16_t port) {
  error_code ec;
  auto addr = asio::ip::make_address(address, ec);
  if (ec) throw std::runtime_error("mqtt: invalid address '" + address + "'");
  tcp::endpoint ep(addr, port);
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("mqtt: cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message());
}

}  // namespace

MqttServer::MqttServer(core::Runtime& rt, MqttServerOptions opts, MqttLoginCheck login,
                       std::shared_ptr<MqttDeviceHandler> handler, core::Metrics* metrics)
    : impl_(std::make_shared<Impl>(rt, std::move(opts), std::move(login), std::move(handler), metrics)),
      listeners_(std::make_shared<Listeners>(rt.loop(0))) {}

MqttServer::~MqttServer() { stop(); }

void MqttServer::start() {
  auto& o = impl_->opts;
  const bool tls = !o.tls_cert_file.empty() && !o.tls_key_file.empty();
  if (!tls && (!o.tls_cert_file.empty() || !o.tls_key_file.empty()))
    throw std::runtime_error("mqtt: TLS needs both a certificate and its key (server.mqtt.tls_cert, tls_key)");
  if (tls) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    error_code ec;
    ctx->use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec) throw std::runtime_error("mqtt: cannot load the TLS certificate " + o.tls_cert_file + ": " + ec.message());
    ctx->use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
    if (ec) throw std::runtime_error("mqtt: cannot load the TLS key " + o.tls_key_file + ": " + ec.message());
    // Idle devices keep their connection for hours: give back OpenSSL's buffers between reads.
    SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    impl_->tls_context = std::move(ctx);
  }
  auto& l = *listeners_;
  listen(l.plain, o.address, o.port);
  port_ = l.plain.local_endpoint().port();
  asio::co_spawn(l.plain.get_executor(), accept_loop(impl_, listeners_, false), asio::detached);
  if (tls) {
    listen(l.tls, o.address, o.tls_port);
    tls_port_ = l.tls.local_endpoint().port();
    asio::co_spawn(l.tls.get_executor(), accept_loop(impl_, listeners_, true), asio::detached);
  }
  spdlog::info("mqtt: listening on {}:{}{}", o.address, port_,
               tls ? " and " + o.address + ":" + std::to_string(tls_port_) + " (TLS)" : std::string());
}

std::size_t MqttServer::connected() const { return impl_->logged_in.load(); }

void MqttServer::stop() {
  auto impl = impl_;
  if (impl->stopping.exchange(true)) return;
  asio::post(listeners_->plain.get_executor(), [l = listeners_] {
    error_code ec;
    l->plain.close(ec);
    l->tls.close(ec);
  });
  std::lock_guard lk(impl->mu);
  for (auto& [id, weak] : impl->open) {
    if (auto st = weak.lock()) asio::post(st->ex, [st] { st->end(MqttCloseReason::closed_by_server); });
  }
}

}  // namespace xz::net
