#include "net/udp_audio_endpoint.h"

#include <sys/socket.h>

#include <cerrno>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/async.h"
#include "core/metrics.h"
#include "core/token_bucket.h"
#include "protocol/byte_order.h"
#include "protocol/encoding.h"
#include "protocol/udp_channel_keys.h"
#include "protocol/udp_packet.h"
#include "protocol/udp_sequence_window.h"
#include "protocol/udp_uplink_receiver.h"

namespace xz::net {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using Clock = std::chrono::steady_clock;

namespace udp_detail {

// The endpoint-wide counters: the registry's when there is one, else our own.
struct EndpointCounters {
  core::Counter *in, *out, *unknown_ssrc, *bad, *replay, *old, *forged, *rate, *unconfirmed, *overload,
      *no_address, *send_failed;
  core::Gauge* channels;
};

struct ChannelCounters {
  core::Counter received, delivered, sent, rate, replay, old, bad, forged, unconfirmed, overload, no_address,
      send_failed, rebinds;
  // Copies of the read loop's window counters, for stats() on other threads.
  std::atomic<std::uint64_t> gaps{0}, reordered{0};
};

struct Channel {
  Channel(protocol::UdpChannelKeys k, asio::any_io_executor executor, UdpAudioEndpoint::OnAudio cb,
          const UdpAudioEndpointOptions& o, Clock::time_point now)
      : keys(std::move(k)),
        header(protocol::header_from_nonce(keys.nonce)),
        ex(std::move(executor)),
        on_audio(std::move(cb)),
        rx(keys.key, protocol::UdpUplinkOptions{o.reorder_window, o.max_sequence_jump, o.max_first_sequence,
                                               o.rebind_after, o.frame_duration}),
        from_device(o.max_packets_per_second, o.packet_burst, now),
        from_elsewhere(o.max_packets_per_second, o.packet_burst, now) {}

  const protocol::UdpChannelKeys keys;
  const protocol::UdpHeader header;  // downlink template: type, flags, ssrc from the nonce
  const asio::any_io_executor ex;
  const UdpAudioEndpoint::OnAudio on_audio;
  std::atomic<bool> open{true};
  std::atomic<std::size_t> pending{0};
  std::atomic<std::uint32_t> send_sequence{0};
  ChannelCounters counters;

  // Read loop only.
  protocol::UdpUplinkReceiver<udp::endpoint> rx;
  core::TokenBucket from_device, from_elsewhere;

  // Written by the read loop, read by senders.
  mutable std::mutex address_mu;
  std::optional<udp::endpoint> address;
};

struct Core {
  Core(asio::io_context& l, UdpAudioEndpointOptions o, core::Metrics* metrics) : loop(l), opts(std::move(o)) {
    auto counter = [&](core::Counter& own, const char* name, const char* help, std::string labels) {
      return metrics ? &metrics->counter(name, help, labels) : &own;
    };
    const char* dgrams = "UDP audio datagrams by direction";
    const char* drops = "UDP audio datagrams dropped, by reason";
    const char* drop = "xiaozhi_udp_dropped_total";
    c.in = counter(own[0], "xiaozhi_udp_datagrams_total", dgrams, "direction=\"in\"");
    c.out = counter(own[1], "xiaozhi_udp_datagrams_total", dgrams, "direction=\"out\"");
    c.unknown_ssrc = counter(own[2], drop, drops, "reason=\"unknown_ssrc\"");
    c.bad = counter(own[3], drop, drops, "reason=\"bad\"");
    c.replay = counter(own[4], drop, drops, "reason=\"replay\"");
    c.old = counter(own[5], drop, drops, "reason=\"old\"");
    c.forged = counter(own[6], drop, drops, "reason=\"forged\"");
    c.rate = counter(own[7], drop, drops, "reason=\"rate\"");
    c.unconfirmed = counter(own[8], drop, drops, "reason=\"unconfirmed_address\"");
    c.overload = counter(own[9], drop, drops, "reason=\"overload\"");
    c.no_address = counter(own[10], drop, drops, "reason=\"no_address\"");
    c.send_failed = counter(own[11], drop, drops, "reason=\"send_failed\"");
    c.channels = metrics ? &metrics->gauge("xiaozhi_udp_channels", "Open UDP audio channels") : &own_channels;
  }

  void handle(const udp::endpoint& from, std::string_view d);
  bool send(Channel& ch, std::string_view opus, std::uint32_t timestamp_ms);

  asio::io_context& loop;
  const UdpAudioEndpointOptions opts;
  std::optional<udp::socket> socket;  // created, read and destroyed on `loop`
  std::atomic<bool> stopping{false};

  // Senders use the descriptor from any thread; closing takes the lock exclusively so a
  // descriptor number is never reused under a sender.
  std::shared_mutex fd_mu;
  int fd = -1;

  mutable std::mutex mu;
  std::unordered_map<std::uint32_t, std::shared_ptr<Channel>> channels;

  core::Counter own[12];
  core::Gauge own_channels;
  EndpointCounters c{};
};

void Core::handle(const udp::endpoint& from, std::string_view d) {
  c.in->inc();
  if (d.size() > opts.max_datagram_bytes || d.size() < protocol::kUdpHeaderSize || d[0] != 1 ||
      protocol::be::u16(d, 2) + protocol::kUdpHeaderSize != d.size()) {
    c.bad->inc();
    return;
  }
  std::shared_ptr<Channel> found;
  {
    std::lock_guard lk(mu);
    auto it = channels.find(protocol::be::u32(d, 4));
    if (it != channels.end()) found = it->second;
  }
  if (!found) {
    c.unknown_ssrc->inc();
    return;
  }
  Channel& ch = *found;
  ch.counters.received.inc();
  auto drop = [](core::Counter* total, core::Counter& mine) {
    total->inc();
    mine.inc();
  };
  const bool from_device = ch.rx.from_device(from);
  if (!(from_device ? ch.from_device : ch.from_elsewhere).take(1, Clock::now())) {
    return drop(c.rate, ch.counters.rate);
  }
  const bool had_address = ch.rx.device().has_value();
  auto r = ch.rx.receive(d, from);
  switch (r.outcome) {
    case protocol::UplinkOutcome::deliver: break;
    case protocol::UplinkOutcome::bad: return drop(c.bad, ch.counters.bad);
    case protocol::UplinkOutcome::replay: return drop(c.replay, ch.counters.replay);
    case protocol::UplinkOutcome::old: return drop(c.old, ch.counters.old);
    case protocol::UplinkOutcome::forged: return drop(c.forged, ch.counters.forged);
    case protocol::UplinkOutcome::unconfirmed: return drop(c.unconfirmed, ch.counters.unconfirmed);
  }
  if (r.address_moved) {
    if (had_address) ch.counters.rebinds.inc();
    std::lock_guard lk(ch.address_mu);
    ch.address = from;
  }
  ch.counters.gaps.store(ch.rx.window().gaps(), std::memory_order_relaxed);
  ch.counters.reordered.store(ch.rx.window().reordered(), std::memory_order_relaxed);

  if (ch.pending.load(std::memory_order_relaxed) >= opts.max_pending_per_channel) {
    return drop(c.overload, ch.counters.overload);
  }
  ch.pending.fetch_add(1, std::memory_order_relaxed);
  ch.counters.delivered.inc();
  asio::post(ch.ex, [found = std::move(found), p = std::move(*r.packet)]() mutable {
    found->pending.fetch_sub(1, std::memory_order_relaxed);
    if (found->open.load(std::memory_order_acquire)) found->on_audio(std::move(p));
  });
}

bool Core::send(Channel& ch, std::string_view opus, std::uint32_t timestamp_ms) {
  auto fail = [&](core::Counter* total, core::Counter& mine) {
    total->inc();
    mine.inc();
    return false;
  };
  if (opus.size() > 0xFFFF) return fail(c.send_failed, ch.counters.send_failed);
  std::optional<udp::endpoint> to;
  {
    std::lock_guard lk(ch.address_mu);
    to = ch.address;
  }
  if (!to) return fail(c.no_address, ch.counters.no_address);
  protocol::UdpHeader h = ch.header;
  h.timestamp = timestamp_ms;
  h.sequence = ch.send_sequence.fetch_add(1, std::memory_order_relaxed) + 1;
  const std::string datagram = protocol::encrypt_udp_packet(ch.keys.key, h, opus);
  ssize_t n = -1;
  {
    std::shared_lock lk(fd_mu);
    if (fd >= 0) n = ::sendto(fd, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL, to->data(), to->size());
  }
  if (n != static_cast<ssize_t>(datagram.size())) return fail(c.send_failed, ch.counters.send_failed);
  c.out->inc();
  ch.counters.sent.inc();
  return true;
}

namespace {

// Errors a peer's ICMP answer leaves on a UDP socket: about one peer, the socket is fine.
bool peer_error(const boost::system::error_code& ec) {
  return ec == asio::error::connection_refused || ec == asio::error::connection_reset ||
         ec == asio::error::host_unreachable || ec == asio::error::network_unreachable;
}

core::Task<void> read_loop(std::shared_ptr<Core> core) {
  std::string buf(core->opts.max_datagram_bytes + 1, '\0');  // one more byte: oversize shows
  udp::endpoint from;
  for (;;) {
    if (core->stopping.load() || !core->socket) co_return;
    auto [ec, n] = co_await core->socket->async_receive_from(asio::buffer(buf), from,
                                                              asio::as_tuple(asio::use_awaitable));
    if (core->stopping.load() || ec == asio::error::operation_aborted) co_return;
    if (peer_error(ec)) continue;
    if (ec) {
      spdlog::error("udp audio: receiving stopped: {}", ec.message());
      co_return;
    }
    try {
      core->handle(from, std::string_view(buf.data(), n));
    } catch (const std::exception& e) {
      // Only OpenSSL or the allocator can throw here; one datagram is lost, not the socket.
      core->c.bad->inc();
      spdlog::warn("udp audio: datagram from {} dropped: {}", from.address().to_string(), e.what());
    }
  }
}

}  // namespace
}  // namespace udp_detail

// --- channel handle ---

UdpAudioChannel::UdpAudioChannel(Key, std::shared_ptr<udp_detail::Core> core, std::shared_ptr<udp_detail::Channel> ch)
    : core_(std::move(core)), ch_(std::move(ch)) {}

UdpAudioChannel::~UdpAudioChannel() {
  ch_->open.store(false, std::memory_order_release);
  std::lock_guard lk(core_->mu);
  core_->channels.erase(ch_->keys.ssrc);
  core_->c.channels->set(double(core_->channels.size()));
}

std::uint32_t UdpAudioChannel::ssrc() const { return ch_->keys.ssrc; }
const std::string& UdpAudioChannel::key() const { return ch_->keys.key; }
const std::string& UdpAudioChannel::nonce() const { return ch_->keys.nonce; }
std::string UdpAudioChannel::key_hex() const { return protocol::hex_encode(ch_->keys.key); }
std::string UdpAudioChannel::nonce_hex() const { return protocol::hex_encode(ch_->keys.nonce); }

bool UdpAudioChannel::send(std::string_view opus, std::uint32_t timestamp_ms) {
  return core_->send(*ch_, opus, timestamp_ms);
}

std::optional<udp::endpoint> UdpAudioChannel::device_address() const {
  std::lock_guard lk(ch_->address_mu);
  return ch_->address;
}

UdpChannelStats UdpAudioChannel::stats() const {
  const auto& k = ch_->counters;
  UdpChannelStats s;
  s.received = k.received.value();
  s.delivered = k.delivered.value();
  s.sent = k.sent.value();
  s.dropped_rate = k.rate.value();
  s.dropped_replay = k.replay.value();
  s.dropped_old = k.old.value();
  s.dropped_bad = k.bad.value();
  s.dropped_forged = k.forged.value();
  s.dropped_unconfirmed = k.unconfirmed.value();
  s.dropped_overload = k.overload.value();
  s.send_no_address = k.no_address.value();
  s.send_failed = k.send_failed.value();
  s.rebinds = k.rebinds.value();
  s.gaps = k.gaps.load(std::memory_order_relaxed);
  s.reordered = k.reordered.load(std::memory_order_relaxed);
  return s;
}

// --- endpoint ---

UdpAudioEndpoint::UdpAudioEndpoint(asio::io_context& loop, UdpAudioEndpointOptions opts, core::Metrics* metrics)
    : core_(std::make_shared<udp_detail::Core>(loop, std::move(opts), metrics)) {
  if (core_->opts.max_datagram_bytes < protocol::kUdpHeaderSize) {
    throw std::invalid_argument("udp audio: max_datagram_bytes below the 16-byte header");
  }
  // Throws for a bad window or jump before any socket exists.
  protocol::UdpSequenceWindow check(core_->opts.reorder_window, core_->opts.max_sequence_jump,
                                    core_->opts.max_first_sequence);
}

UdpAudioEndpoint::~UdpAudioEndpoint() { stop(); }

void UdpAudioEndpoint::start() {
  auto core = core_;
  if (core->socket || core->stopping.load()) throw std::logic_error("udp audio: start() called twice or after stop()");
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(core->opts.address, ec);
  if (ec) throw std::runtime_error("udp audio: bad address '" + core->opts.address + "'");
  const udp::endpoint at(address, core->opts.port);
  udp::socket socket(core->loop);
  socket.open(at.protocol(), ec);
  if (!ec) socket.bind(at, ec);
  if (ec) {
    throw std::runtime_error("udp audio: cannot bind " + core->opts.address + ":" +
                             std::to_string(core->opts.port) + ": " + ec.message());
  }
  bound_port_ = socket.local_endpoint().port();
  {
    std::unique_lock lk(core->fd_mu);
    core->fd = socket.native_handle();
  }
  core->socket.emplace(std::move(socket));
  asio::co_spawn(core->loop, udp_detail::read_loop(core), asio::detached);
  spdlog::info("udp audio: listening on {}:{}", core->opts.address, bound_port_);
}

void UdpAudioEndpoint::stop() {
  auto core = core_;
  if (core->stopping.exchange(true)) return;
  asio::post(core->loop, [core] {
    std::unique_lock lk(core->fd_mu);
    core->fd = -1;
    core->socket.reset();  // cancels the pending read
  });
}

std::unique_ptr<UdpAudioChannel> UdpAudioEndpoint::open_channel(asio::any_io_executor executor, OnAudio on_audio) {
  auto core = core_;
  std::lock_guard lk(core->mu);
  if (core->channels.size() >= core->opts.max_channels) return nullptr;
  auto keys = protocol::make_udp_channel_keys([&](std::uint32_t s) { return core->channels.count(s) > 0; });
  const std::uint32_t ssrc = keys.ssrc;
  auto ch = std::make_shared<udp_detail::Channel>(std::move(keys), std::move(executor), std::move(on_audio),
                                                  core->opts, Clock::now());
  core->channels.emplace(ssrc, ch);
  core->c.channels->set(double(core->channels.size()));
  return std::make_unique<UdpAudioChannel>(UdpAudioChannel::Key{}, core, std::move(ch));
}

std::size_t UdpAudioEndpoint::open_channels() const {
  std::lock_guard lk(core_->mu);
  return core_->channels.size();
}

UdpEndpointStats UdpAudioEndpoint::stats() const {
  const auto& c = core_->c;
  UdpEndpointStats s;
  s.datagrams_in = c.in->value();
  s.datagrams_out = c.out->value();
  s.dropped_unknown_ssrc = c.unknown_ssrc->value();
  s.dropped_bad = c.bad->value();
  s.dropped_replay = c.replay->value();
  s.dropped_old = c.old->value();
  s.dropped_forged = c.forged->value();
  s.dropped_rate = c.rate->value();
  s.dropped_unconfirmed = c.unconfirmed->value();
  s.dropped_overload = c.overload->value();
  s.dropped_no_address = c.no_address->value();
  s.dropped_send_failed = c.send_failed->value();
  s.open_channels = open_channels();
  return s;
}

}  // namespace xz::net
