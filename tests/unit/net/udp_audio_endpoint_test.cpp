// net::UdpAudioEndpoint and net::UdpAudioClient over real loopback sockets. Every datagram
// the test sends reaches the endpoint's one socket in the order sent, so a "marker"
// packet on a second channel, once delivered, proves the datagrams before it were handled
// (that is how a drop is awaited: no sleeps).
#include "net/udp_audio_endpoint.h"

#include <sys/socket.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "audio/opus_encoder.h"
#include "core/metrics.h"
#include "net/udp_audio_client.h"
#include "protocol/byte_order.h"
#include "protocol/cipher.h"
#include "protocol/encoding.h"
#include "protocol/udp_channel_keys.h"
#include "protocol/uplink_opus_check.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using udp = asio::ip::udp;
using xz::net::UdpAudioChannel;
using xz::net::UdpAudioClient;
using xz::net::UdpAudioClientConfig;
using xz::net::UdpAudioEndpoint;
using xz::net::UdpAudioEndpointOptions;
using xz::protocol::UdpPacket;

namespace {

// A loop on its own thread.
struct Loop {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~Loop() {
    guard.reset();
    io.stop();
    thread.join();
  }
  // Runs fn on the loop and waits for its result.
  template <class Fn>
  auto run(Fn fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    return result.get();
  }
};

// Packets handed to a callback on some loop, awaited by the test thread.
template <class T>
class Inbox {
 public:
  void push(T v) {
    std::lock_guard lk(mu_);
    items_.push_back(std::move(v));
    cv_.notify_all();
  }
  std::optional<T> pop(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lk(mu_);
    if (!cv_.wait_for(lk, timeout, [&] { return !items_.empty(); })) return std::nullopt;
    T v = std::move(items_.front());
    items_.pop_front();
    return v;
  }
  std::size_t size() const {
    std::lock_guard lk(mu_);
    return items_.size();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;
};

// A structurally valid 60 ms mono SILK wideband packet (code 0, one frame): what the Opus
// check accepts. The round-trip test uses real encoder output instead.
std::string opus_60ms(char fill, std::size_t size = 40) {
  std::string p(size, fill);
  p[0] = char(11 << 3);
  return p;
}

std::string real_opus_frame() {
  xz::audio::OpusEncoder enc(16000, 60, 5, xz::audio::OpusEncoder::kBitrateAuto);
  std::vector<std::int16_t> pcm(enc.frame_samples());
  for (std::size_t i = 0; i < pcm.size(); ++i) pcm[i] = std::int16_t(6000 * std::sin(double(i) * 0.17));
  return enc.encode(pcm);
}

class UdpAudioEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void TearDown() override { reset_all(); }

  void reset_all() {
    device_.run([&] {
      clients_.clear();
      return 0;
    });
    session_.run([&] {
      marker_.reset();
      channels_.clear();
      return 0;
    });
    endpoint_.reset();
  }

  void start(UdpAudioEndpointOptions opts, xz::core::Metrics* metrics = nullptr) {
    opts.address = "127.0.0.1";
    endpoint_ = std::make_unique<UdpAudioEndpoint>(server_.io, opts, metrics);
    endpoint_->start();
    marker_ = endpoint_->open_channel(session_.io.get_executor(), [this](UdpPacket p) { markers_.push(std::move(p)); });
    marker_client_ = client_for(*marker_, nullptr);
  }

  UdpAudioChannel& open(Inbox<UdpPacket>& inbox) {
    channels_.push_back(endpoint_->open_channel(session_.io.get_executor(),
                                                [&inbox](UdpPacket p) { inbox.push(std::move(p)); }));
    return *channels_.back();
  }

  UdpAudioClientConfig config_for(const UdpAudioChannel& ch) {
    return {"127.0.0.1", endpoint_->port(), ch.key_hex(), ch.nonce_hex()};
  }

  UdpAudioClient* client_for(const UdpAudioChannel& ch, Inbox<UdpPacket>* inbox,
                             std::optional<UdpAudioClientConfig> cfg = std::nullopt) {
    return device_.run([&] {
      clients_.push_back(std::make_unique<UdpAudioClient>(device_.io.get_executor(), cfg ? *cfg : config_for(ch),
                                                          [inbox](UdpPacket p) {
                                                            if (inbox) inbox->push(std::move(p));
                                                          }));
      clients_.back()->open();
      return clients_.back().get();
    });
  }

  bool send(UdpAudioClient* c, std::string opus, std::uint32_t ts = 0) {
    return device_.run([=] { return c->send(opus, ts); });
  }
  bool send_raw(UdpAudioClient* c, std::string datagram) {
    return device_.run([=] { return c->send_raw(datagram); });
  }

  // Everything sent before this has been handled by the endpoint.
  void sync() {
    ASSERT_TRUE(send(marker_client_, opus_60ms('m')));
    ASSERT_TRUE(markers_.pop()) << "marker packet not delivered";
  }

  xz::core::Metrics metrics_;  // outlives the endpoint and its channels
  Loop server_, session_, device_;
  std::unique_ptr<UdpAudioEndpoint> endpoint_;
  std::unique_ptr<UdpAudioChannel> marker_;
  Inbox<UdpPacket> markers_;
  UdpAudioClient* marker_client_ = nullptr;
  std::vector<std::unique_ptr<UdpAudioChannel>> channels_;
  std::vector<std::unique_ptr<UdpAudioClient>> clients_;
};

TEST_F(UdpAudioEndpointTest, RoundTripBothWays) {
  Inbox<UdpPacket> up, down;
  auto& ch = open(up);
  EXPECT_EQ(ch.key().size(), 16u);
  EXPECT_EQ(xz::protocol::hex_decode(ch.nonce_hex()).value(), xz::protocol::udp_nonce(ch.ssrc()));
  auto* device = client_for(ch, &down);

  const std::string opus = real_opus_frame();
  ASSERT_TRUE(xz::protocol::plausible_uplink_opus(opus, 60ms));
  ASSERT_TRUE(send(device, opus, 1234));
  ASSERT_TRUE(send(device, opus_60ms('b'), 1294));
  auto p = up.pop();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->opus, opus);
  EXPECT_EQ(p->header.sequence, 1u);
  EXPECT_EQ(p->header.timestamp, 1234u);
  EXPECT_EQ(p->header.ssrc, ch.ssrc());
  p = up.pop();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->header.sequence, 2u);
  const auto device_port = device_.run([&] { return device->local_port(); });
  ASSERT_TRUE(ch.device_address());
  EXPECT_EQ(ch.device_address()->port(), device_port);

  // Downlink: sequence from 1, the device's checks pass, the bytes come back.
  for (std::uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(ch.send(opus_60ms(char('x' + i)), 60 * i));
  for (std::uint32_t i = 0; i < 3; ++i) {
    auto d = down.pop();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->header.sequence, i + 1);
    EXPECT_EQ(d->header.timestamp, 60 * i);
    EXPECT_EQ(d->opus, opus_60ms(char('x' + i)));
  }
  const auto s = ch.stats();
  EXPECT_EQ(s.delivered, 2u);
  EXPECT_EQ(s.sent, 3u);
  EXPECT_EQ(endpoint_->stats().datagrams_out, 3u);
}

TEST_F(UdpAudioEndpointTest, DownlinkHasTheSpecLayout) {
  // A raw socket as the device: the datagram is `01 00 len ssrc ts seq` + AES-128-CTR
  // with IV = those 16 bytes (test-vectors.json "udp_packet" layout).
  Inbox<UdpPacket> up;
  auto& ch = open(up);
  asio::io_context io;
  udp::socket raw(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  xz::protocol::UdpHeader h = xz::protocol::header_from_nonce(ch.nonce());
  h.sequence = 1;
  raw.send_to(asio::buffer(xz::protocol::encrypt_udp_packet(ch.key(), h, opus_60ms('u'))),
              udp::endpoint(asio::ip::make_address("127.0.0.1"), endpoint_->port()));
  ASSERT_TRUE(up.pop());

  const std::string opus = "\x78\x01\x02\x03\x04\x05\x06\x07\x08\x09";
  ASSERT_TRUE(ch.send(opus, 0x01020304));
  std::string buf(2048, '\0');
  const std::size_t n = raw.receive(asio::buffer(buf));
  buf.resize(n);
  ASSERT_EQ(n, 16u + opus.size());
  std::string header{'\x01', '\x00'};
  xz::protocol::be::put_u16(header, std::uint16_t(opus.size()));
  xz::protocol::be::put_u32(header, ch.ssrc());
  xz::protocol::be::put_u32(header, 0x01020304);
  xz::protocol::be::put_u32(header, 1);
  EXPECT_EQ(xz::protocol::hex_encode(buf.substr(0, 16)), xz::protocol::hex_encode(header));
  EXPECT_EQ(xz::protocol::aes_128_ctr(ch.key(), header, buf.substr(16)), opus);
}

TEST_F(UdpAudioEndpointTest, SendBeforeTheDeviceSpokeIsDroppedAndCounted) {
  Inbox<UdpPacket> up, down;
  auto& ch = open(up);
  EXPECT_FALSE(ch.device_address());
  EXPECT_FALSE(ch.send(opus_60ms('a'), 0));
  EXPECT_EQ(ch.stats().send_no_address, 1u);
  EXPECT_EQ(endpoint_->stats().dropped_no_address, 1u);
  auto* device = client_for(ch, &down);
  ASSERT_TRUE(send(device, opus_60ms('b')));
  ASSERT_TRUE(up.pop());
  EXPECT_TRUE(ch.send(opus_60ms('c'), 0));
  auto d = down.pop();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->header.sequence, 1u);  // the dropped send used no sequence number
}

TEST_F(UdpAudioEndpointTest, ReplayIsDropped) {
  reset_all();
  start({}, &metrics_);
  Inbox<UdpPacket> up;
  auto& ch = open(up);
  auto* device = client_for(ch, nullptr);
  const std::string first = device_.run([&] { return device->make_datagram(opus_60ms('a'), 0, 1); });
  ASSERT_TRUE(send_raw(device, first));
  ASSERT_TRUE(send_raw(device, first));
  sync();
  ASSERT_TRUE(up.pop());
  EXPECT_EQ(up.size(), 0u);
  EXPECT_EQ(ch.stats().dropped_replay, 1u);
  EXPECT_EQ(ch.stats().delivered, 1u);
  const std::string text = metrics_.render();
  EXPECT_NE(text.find("xiaozhi_udp_dropped_total{reason=\"replay\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("xiaozhi_udp_channels 2"), std::string::npos) << text;  // with the marker's
}

TEST_F(UdpAudioEndpointTest, StalePacketIsDroppedAndLateOneInsideTheWindowTaken) {
  Inbox<UdpPacket> up;
  auto& ch = open(up);
  auto* device = client_for(ch, nullptr);
  auto datagram = [&](std::uint32_t seq) {
    return device_.run([&] { return device->make_datagram(opus_60ms(char(seq)), 0, seq); });
  };
  for (std::uint32_t seq : {1u, 3u, 2u, 100u, 50u, 90u}) ASSERT_TRUE(send_raw(device, datagram(seq)));
  sync();
  std::vector<std::uint32_t> got;
  while (up.size() > 0) got.push_back(up.pop()->header.sequence);
  // 2 is late but inside the window (32); 50 is 50 behind 100: stale; 90 is 10 behind.
  EXPECT_EQ(got, (std::vector<std::uint32_t>{1, 3, 2, 100, 90}));
  const auto s = ch.stats();
  EXPECT_EQ(s.dropped_old, 1u);
  EXPECT_EQ(s.reordered, 2u);
  EXPECT_EQ(s.gaps, 1u + 96u);
}

TEST_F(UdpAudioEndpointTest, ForgedPacketIsNeitherDeliveredNorMovesWindowOrAddress) {
  Inbox<UdpPacket> up;
  auto& ch = open(up);
  auto* device = client_for(ch, nullptr);
  ASSERT_TRUE(send(device, opus_60ms('a')));
  ASSERT_TRUE(up.pop());
  const auto address = ch.device_address();
  ASSERT_TRUE(address);

  // The forger knows the ssrc (nonce) but not the key. Pick forgeries that decrypt under
  // the real key to something the Opus check refuses (about 99 % of them do).
  auto forged = [&](std::uint32_t seq) {
    for (;;) {
      auto cfg = config_for(ch);
      cfg.key_hex = xz::protocol::hex_encode(xz::protocol::random_bytes(16));
      UdpAudioClient forger(device_.io.get_executor(), cfg, nullptr);
      std::string d = forger.make_datagram(opus_60ms('f'), 0, seq);
      auto plain = xz::protocol::decrypt_udp_packet(ch.key(), d, nullptr);
      if (!xz::protocol::plausible_uplink_opus(plain->opus, 60ms)) return d;
    }
  };
  // From the device's own address, far ahead: accepted, it would make every real packet
  // after it stale.
  ASSERT_TRUE(send_raw(device, forged(100)));
  // From another address: accepted, it would start moving the address.
  auto* elsewhere = client_for(ch, nullptr);
  for (std::uint32_t seq = 200; seq < 210; ++seq) ASSERT_TRUE(send_raw(elsewhere, forged(seq)));
  ASSERT_TRUE(send(device, opus_60ms('b')));  // sequence 2
  sync();
  auto p = up.pop();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->header.sequence, 2u);
  EXPECT_EQ(p->opus, opus_60ms('b'));
  EXPECT_EQ(up.size(), 0u);
  EXPECT_EQ(ch.stats().dropped_forged, 11u);
  EXPECT_EQ(ch.device_address(), address);
  EXPECT_EQ(endpoint_->stats().dropped_forged, 11u);
}

TEST_F(UdpAudioEndpointTest, NatRebindingMovesTheAddressAfterSeveralValidPackets) {
  Inbox<UdpPacket> up, down;
  auto& ch = open(up);
  auto* device = client_for(ch, &down);
  ASSERT_TRUE(send(device, opus_60ms('a')));
  ASSERT_TRUE(up.pop());
  const auto old_port = ch.device_address()->port();

  // A second socket with the same keys, continuing the sequence: the NAT's new mapping.
  const auto new_port = device_.run([&] {
    device->rebind();
    return device->local_port();
  });
  ASSERT_NE(new_port, old_port);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(send(device, opus_60ms('b')));  // sequences 2, 3
  sync();
  EXPECT_EQ(up.size(), 0u);  // not yet taken
  EXPECT_EQ(ch.device_address()->port(), old_port);
  EXPECT_EQ(ch.stats().dropped_unconfirmed, 2u);

  ASSERT_TRUE(send(device, opus_60ms('c')));  // the third in a row
  auto p = up.pop();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->header.sequence, 4u);
  EXPECT_EQ(ch.device_address()->port(), new_port);
  EXPECT_EQ(ch.stats().rebinds, 1u);
  // Downlink follows the device to its new port.
  ASSERT_TRUE(ch.send(opus_60ms('d'), 0));
  auto d = down.pop();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->opus, opus_60ms('d'));
}

TEST_F(UdpAudioEndpointTest, PacketFromTheKnownAddressResetsARebindAttempt) {
  Inbox<UdpPacket> up;
  auto& ch = open(up);
  auto* device = client_for(ch, nullptr);
  auto* other = client_for(ch, nullptr);
  auto datagram = [&](std::uint32_t seq) {
    return device_.run([&] { return device->make_datagram(opus_60ms('x'), 0, seq); });
  };
  ASSERT_TRUE(send_raw(device, datagram(1)));
  ASSERT_TRUE(send_raw(other, datagram(2)));
  ASSERT_TRUE(send_raw(other, datagram(3)));
  ASSERT_TRUE(send_raw(device, datagram(4)));  // the device is still there
  ASSERT_TRUE(send_raw(other, datagram(5)));
  ASSERT_TRUE(send_raw(other, datagram(6)));
  sync();
  EXPECT_EQ(ch.stats().rebinds, 0u);
  EXPECT_EQ(ch.stats().dropped_unconfirmed, 4u);
  EXPECT_EQ(ch.stats().delivered, 2u);
}

TEST_F(UdpAudioEndpointTest, UnknownSsrcIsIgnoredWithoutDecrypting) {
  Inbox<UdpPacket> up;
  auto& ch = open(up);
  auto cfg = config_for(ch);
  std::uint32_t other = ch.ssrc() ^ 0x5a5a5a5a;
  cfg.nonce_hex = xz::protocol::hex_encode(xz::protocol::udp_nonce(other));
  auto* stranger = client_for(ch, nullptr, cfg);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(send(stranger, opus_60ms('s')));
  sync();
  EXPECT_EQ(up.size(), 0u);
  EXPECT_EQ(ch.stats().received, 0u);
  EXPECT_EQ(endpoint_->stats().dropped_unknown_ssrc, 5u);
  EXPECT_FALSE(ch.device_address());
}

TEST_F(UdpAudioEndpointTest, ClosedChannelForgetsItsSsrc) {
  Inbox<UdpPacket> up;
  auto& ch = open(up);
  auto* device = client_for(ch, nullptr);
  EXPECT_EQ(endpoint_->open_channels(), 2u);
  session_.run([&] {
    channels_.clear();
    return 0;
  });
  EXPECT_EQ(endpoint_->open_channels(), 1u);
  ASSERT_TRUE(send(device, opus_60ms('a')));
  sync();
  EXPECT_EQ(up.size(), 0u);
  EXPECT_EQ(endpoint_->stats().dropped_unknown_ssrc, 1u);
}

TEST_F(UdpAudioEndpointTest, InboundRateIsBoundedPerChannel) {
  // Burst 5, then 1 per second: 20 packets sent at once, about 5 pass. Without the bucket
  // all 20 would.
  reset_all();
  UdpAudioEndpointOptions opts;
  opts.max_packets_per_second = 1;
  opts.packet_burst = 5;
  start(opts);
  Inbox<UdpPacket> up;
  auto& ch = open(up);
  auto* device = client_for(ch, nullptr);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(send(device, opus_60ms('r')));
  sync();
  const auto s = ch.stats();
  EXPECT_GE(s.delivered, 5u);
  EXPECT_LE(s.delivered, 6u);
  EXPECT_EQ(s.delivered + s.dropped_rate, 20u);
  EXPECT_EQ(endpoint_->stats().dropped_rate, s.dropped_rate);
}

TEST_F(UdpAudioEndpointTest, ChannelCountIsBounded) {
  reset_all();
  UdpAudioEndpointOptions opts;
  opts.max_channels = 3;  // the marker's and two more
  start(opts);
  Inbox<UdpPacket> up;
  open(up);
  open(up);
  EXPECT_EQ(endpoint_->open_channel(session_.io.get_executor(), [](UdpPacket) {}), nullptr);
  session_.run([&] {
    channels_.pop_back();
    return 0;
  });
  EXPECT_NE(endpoint_->open_channel(session_.io.get_executor(), [](UdpPacket) {}), nullptr);
}

TEST_F(UdpAudioEndpointTest, PacketsWaitingForABusySessionAreBounded) {
  // The channel's session loop is stuck: at most max_pending_per_channel packets queue
  // for it, the rest are dropped as overload. Without the bound all 10 would queue.
  reset_all();
  UdpAudioEndpointOptions opts;
  opts.max_pending_per_channel = 3;
  start(opts);
  Loop stuck;
  std::promise<void> release;
  asio::post(stuck.io, [f = release.get_future().share()] { f.wait(); });
  Inbox<UdpPacket> up;
  channels_.push_back(
      endpoint_->open_channel(stuck.io.get_executor(), [&up](UdpPacket p) { up.push(std::move(p)); }));
  auto& ch = *channels_.back();
  auto* device = client_for(ch, nullptr);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(send(device, opus_60ms('p')));
  sync();
  EXPECT_EQ(ch.stats().dropped_overload, 7u);
  EXPECT_EQ(endpoint_->stats().dropped_overload, 7u);
  release.set_value();
  for (std::uint32_t seq = 1; seq <= 3; ++seq) {
    auto p = up.pop();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->header.sequence, seq);  // in order
  }
  stuck.run([&] {
    channels_.clear();
    return 0;
  });
}

TEST_F(UdpAudioEndpointTest, SendsFromSeveralThreadsUseDistinctSequences) {
  Inbox<UdpPacket> up, down;
  auto& ch = open(up);
  auto* device = client_for(ch, &down);
  ASSERT_TRUE(send(device, opus_60ms('a')));
  ASSERT_TRUE(up.pop());
  constexpr int kThreads = 4, kEach = 25;  // 100 datagrams: well inside a loopback receive buffer
  {
    std::vector<std::jthread> senders;
    for (int t = 0; t < kThreads; ++t) {
      senders.emplace_back([&ch, t] {
        for (int i = 0; i < kEach; ++i) ch.send(opus_60ms(char('a' + t)), std::uint32_t(i));
      });
    }
  }
  const auto s = ch.stats();
  EXPECT_EQ(s.sent + s.send_failed, std::uint64_t(kThreads * kEach));
  // One more from here has the highest sequence: the device takes it, and once it has,
  // it has seen everything before it. It drops a packet overtaken by a later sequence
  // (the firmware's rule), so what it takes is strictly rising.
  ASSERT_TRUE(ch.send("\x58last", 999));
  std::uint32_t last = 0;
  for (;;) {
    auto p = down.pop();
    ASSERT_TRUE(p);
    EXPECT_GT(p->header.sequence, last);
    last = p->header.sequence;
    if (p->opus == "\x58last") break;
  }
  EXPECT_EQ(last, std::uint32_t(kThreads * kEach + 1));
  const auto d = device_.run([&] { return device->stats(); });
  EXPECT_EQ(d.received + d.dropped_old, s.sent + 1);
}

TEST_F(UdpAudioEndpointTest, OversizeAndMalformedDatagramsAreDropped) {
  reset_all();
  UdpAudioEndpointOptions opts;
  opts.max_datagram_bytes = 200;
  start(opts);
  Inbox<UdpPacket> up;
  auto& ch = open(up);
  auto* device = client_for(ch, nullptr);
  ASSERT_TRUE(send(device, opus_60ms('a', 185)));  // 201 bytes
  ASSERT_TRUE(send_raw(device, "short"));
  std::string wrong_len = device_.run([&] { return device->make_datagram(opus_60ms('b'), 0, 9); });
  wrong_len += 'x';
  ASSERT_TRUE(send_raw(device, wrong_len));
  ASSERT_TRUE(send(device, opus_60ms('c', 184)));  // 200 bytes: fine
  sync();
  auto p = up.pop();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->opus.size(), 184u);
  EXPECT_EQ(endpoint_->stats().dropped_bad, 3u);
}

TEST_F(UdpAudioEndpointTest, ClientTakesOnlyWhatTheFirmwareWould) {
  // A raw socket plays the server, so the test can send what the endpoint never would.
  asio::io_context io;
  udp::socket server(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::string key = xz::protocol::random_bytes(16);
  const std::string nonce = xz::protocol::udp_nonce(77);
  UdpAudioClientConfig cfg{"127.0.0.1", server.local_endpoint().port(), xz::protocol::hex_encode(key),
                           xz::protocol::hex_encode(nonce)};
  Inbox<UdpPacket> down;
  auto* device = client_for(*marker_, &down, cfg);
  ASSERT_TRUE(send(device, "hello", 5));
  std::string buf(2048, '\0');
  udp::endpoint device_at;
  buf.resize(server.receive_from(asio::buffer(buf), device_at));
  // The uplink IV is the nonce with length, timestamp and sequence written in.
  EXPECT_EQ(xz::protocol::hex_encode(buf.substr(0, 16)), "010000050000004d0000000500000001");
  EXPECT_EQ(xz::protocol::aes_128_ctr(key, buf.substr(0, 16), buf.substr(16)), "hello");

  auto datagram = [&](std::uint32_t seq) {
    xz::protocol::UdpHeader h = xz::protocol::header_from_nonce(nonce);
    h.sequence = seq;
    return xz::protocol::encrypt_udp_packet(key, h, "p" + std::to_string(seq));
  };
  std::string wrong_type = datagram(4);
  wrong_type[0] = 2;
  std::string wrong_len = datagram(5) + "x";
  for (const std::string& d : {datagram(1), datagram(1), datagram(0), std::string("short"), wrong_type, wrong_len,
                               datagram(3), datagram(2), datagram(10)}) {
    server.send_to(asio::buffer(d), device_at);
  }
  std::vector<std::uint32_t> got;
  for (;;) {
    auto p = down.pop();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->opus, "p" + std::to_string(p->header.sequence));
    got.push_back(p->header.sequence);
    if (p->header.sequence == 10) break;
  }
  EXPECT_EQ(got, (std::vector<std::uint32_t>{1, 3, 10}));
  const auto s = device_.run([&] { return device->stats(); });
  EXPECT_EQ(s.dropped_malformed, 3u);
  EXPECT_EQ(s.dropped_old, 3u);  // the second 1, 0, and 2 after 3
}

TEST(UdpAudioEndpointIpv6, RoundTripOverIpv6) {
  Loop server, session, device;
  UdpAudioEndpointOptions opts;
  opts.address = "::1";
  UdpAudioEndpoint endpoint(server.io, opts);
  try {
    endpoint.start();
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  Inbox<UdpPacket> up, down;
  auto ch = endpoint.open_channel(session.io.get_executor(), [&up](UdpPacket p) { up.push(std::move(p)); });
  auto client = device.run([&] {
    auto c = std::make_unique<UdpAudioClient>(device.io.get_executor(),
                                              UdpAudioClientConfig{"::1", endpoint.port(), ch->key_hex(), ch->nonce_hex()},
                                              [&down](UdpPacket p) { down.push(std::move(p)); });
    c->open();
    c->send(opus_60ms('6'));
    return c;
  });
  auto p = up.pop();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->opus, opus_60ms('6'));
  EXPECT_TRUE(ch->device_address()->address().is_v6());
  ASSERT_TRUE(ch->send(opus_60ms('7'), 0));
  auto d = down.pop();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->opus, opus_60ms('7'));
  device.run([&] {
    client.reset();
    return 0;
  });
  session.run([&] {
    ch.reset();
    return 0;
  });
}

TEST(UdpAudioClient, RefusesWhatTheFirmwareWouldIgnore) {
  asio::io_context io;
  const std::string hex16(32, 'a');
  auto make = [&](UdpAudioClientConfig c) { UdpAudioClient client(io.get_executor(), c, nullptr); };
  EXPECT_NO_THROW(make({"127.0.0.1", 8884, hex16, "01000000DEADBEEF0000000000000000"}));
  EXPECT_THROW(make({"127.0.0.1", 0, hex16, hex16}), std::invalid_argument);
  EXPECT_THROW(make({"127.0.0.1", 8884, hex16.substr(2), hex16}), std::invalid_argument);
  EXPECT_THROW(make({"127.0.0.1", 8884, hex16, hex16 + "00"}), std::invalid_argument);
  EXPECT_THROW(make({"127.0.0.1", 8884, "zz" + hex16.substr(2), hex16}), std::invalid_argument);
  EXPECT_THROW(make({"not an ip", 8884, hex16, hex16}), std::invalid_argument);
}

}  // namespace
