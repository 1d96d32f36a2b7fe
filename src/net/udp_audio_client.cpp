#include "net/udp_audio_client.h"

#include <optional>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/async.h"
#include "protocol/encoding.h"

namespace xz::net {

namespace asio = boost::asio;
using udp = asio::ip::udp;

struct UdpAudioClient::State {
  asio::any_io_executor ex;
  udp::endpoint server;
  std::string key;
  protocol::UdpHeader header;  // from the nonce
  OnAudio on_audio;
  std::optional<udp::socket> socket;
  std::uint64_t generation = 0;  // bumped per socket: a stale reader stops
  bool closed = false;
  std::uint32_t sequence = 0;       // last sent
  std::uint32_t last_received = 0;  // last taken
  UdpAudioClientStats stats;
};

namespace {

std::string key_bytes(std::string_view hex, const char* what) {
  auto bytes = protocol::hex_decode(hex);
  if (!bytes || bytes->size() != 16) {
    throw std::invalid_argument(std::string("udp client: ") + what + " must be 32 hex digits");
  }
  return *bytes;
}

core::Task<void> receive(std::shared_ptr<UdpAudioClient::State> s, std::uint64_t generation) {
  std::string buf(65536, '\0');
  for (;;) {
    if (s->closed || s->generation != generation || !s->socket) co_return;
    auto [ec, n] = co_await s->socket->async_receive(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    if (s->closed || s->generation != generation) co_return;
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;  // e.g. ICMP port unreachable on a connected socket
    auto p = protocol::decrypt_udp_packet(s->key, std::string_view(buf.data(), n), nullptr);
    if (!p) {
      ++s->stats.dropped_malformed;
      continue;
    }
    if (p->header.sequence <= s->last_received) {
      ++s->stats.dropped_old;
      continue;
    }
    s->last_received = p->header.sequence;
    ++s->stats.received;
    if (s->on_audio) s->on_audio(std::move(*p));
  }
}

}  // namespace

UdpAudioClient::UdpAudioClient(asio::any_io_executor ex, const UdpAudioClientConfig& cfg, OnAudio on_audio)
    : state_(std::make_shared<State>()) {
  state_->ex = std::move(ex);
  if (cfg.port == 0) throw std::invalid_argument("udp client: port must be 1-65535");
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(cfg.server, ec);
  if (ec) throw std::invalid_argument("udp client: server '" + cfg.server + "' is not an IP address");
  state_->server = udp::endpoint(address, cfg.port);
  state_->key = key_bytes(cfg.key_hex, "key");
  state_->header = protocol::header_from_nonce(key_bytes(cfg.nonce_hex, "nonce"));
  state_->on_audio = std::move(on_audio);
}

UdpAudioClient::~UdpAudioClient() { close(); }

void UdpAudioClient::open() {
  auto s = state_;
  udp::socket socket(s->ex);
  boost::system::error_code ec;
  socket.open(s->server.protocol(), ec);
  if (!ec) socket.connect(s->server, ec);
  if (!ec) socket.non_blocking(true, ec);
  if (ec) throw std::runtime_error("udp client: cannot open a socket to the server: " + ec.message());
  s->closed = false;
  s->socket.emplace(std::move(socket));
  asio::co_spawn(s->ex, receive(s, ++s->generation), asio::detached);
}

void UdpAudioClient::rebind() {
  state_->socket.reset();
  open();
}

void UdpAudioClient::close() {
  state_->closed = true;
  ++state_->generation;
  state_->socket.reset();
}

std::string UdpAudioClient::make_datagram(std::string_view opus, std::uint32_t timestamp,
                                          std::uint32_t sequence) const {
  protocol::UdpHeader h = state_->header;
  h.timestamp = timestamp;
  h.sequence = sequence;
  return protocol::encrypt_udp_packet(state_->key, h, opus);
}

bool UdpAudioClient::send(std::string_view opus, std::uint32_t timestamp) {
  if (opus.size() > 0xFFFF) {
    ++state_->stats.send_failed;
    return false;
  }
  return send_raw(make_datagram(opus, timestamp, ++state_->sequence));
}

bool UdpAudioClient::send_raw(std::string_view datagram) {
  auto& s = *state_;
  boost::system::error_code ec;
  if (s.socket) s.socket->send(asio::buffer(datagram), 0, ec);
  if (!s.socket || ec) {
    ++s.stats.send_failed;
    return false;
  }
  ++s.stats.sent;
  return true;
}

std::uint32_t UdpAudioClient::last_sent_sequence() const { return state_->sequence; }

std::uint16_t UdpAudioClient::local_port() const {
  boost::system::error_code ec;
  return state_->socket ? state_->socket->local_endpoint(ec).port() : 0;
}

UdpAudioClientStats UdpAudioClient::stats() const { return state_->stats; }

}  // namespace xz::net
