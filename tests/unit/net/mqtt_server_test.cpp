// The device-facing MQTT listener over real sockets, with our MQTT client as the device
// (and raw sockets for what a well-behaved client never sends): login with the OTA's
// credentials, refusals, keep-alive, pings, QoS 1, the bounds, replacing a connection,
// TLS and the connection caps.
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/metrics.h"
#include "core/runtime.h"
#include "net/connection_limiter.h"
#include "net/mqtt_client.h"
#include "net/mqtt_server.h"
#include "net/tls_client.h"
#include "protocol/mqtt_credentials.h"
#include "support/raw_client.h"
#include "support/self_signed.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace mqtt = xz::protocol::mqtt;
using xz::net::MqttClient;
using xz::net::MqttClientOptions;
using xz::net::MqttCloseReason;
using xz::net::MqttConnectError;
using xz::net::MqttDeviceConnection;
using xz::test::RawConnection;

namespace {

constexpr const char* kKey = "mqtt-signature-key";
constexpr const char* kMac = "aa:bb:cc:dd:ee:ff";

// What the server told the handlers, seen from the test thread.
struct Events {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<MqttDeviceConnection>> connected;
  std::vector<std::pair<std::string, std::string>> published;  // topic, payload
  std::vector<MqttCloseReason> closed;

  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, timeout, [&] { return pred(*this); });
  }
};

// Answers each message with "ack:<payload>"; "flood" queues far more than the bound.
class EchoConnection : public xz::net::MqttConnectionHandler {
 public:
  EchoConnection(std::shared_ptr<Events> ev, std::shared_ptr<MqttDeviceConnection> c)
      : ev_(std::move(ev)), conn_(std::move(c)) {}
  void on_publish(std::string_view topic, std::string payload) override {
    if (payload == "flood") {
      for (int i = 0; i < 400 && conn_->publish(std::string(8192, 'f')); ++i) {
      }
    } else {
      conn_->publish("ack:" + payload);
    }
    std::lock_guard lk(ev_->mu);
    ev_->published.emplace_back(topic, std::move(payload));
    ev_->cv.notify_all();
  }
  void on_close(MqttCloseReason reason) override {
    std::lock_guard lk(ev_->mu);
    ev_->closed.push_back(reason);
    ev_->cv.notify_all();
  }

 private:
  std::shared_ptr<Events> ev_;
  std::shared_ptr<MqttDeviceConnection> conn_;
};

class EchoDevices : public xz::net::MqttDeviceHandler {
 public:
  explicit EchoDevices(std::shared_ptr<Events> ev) : ev_(std::move(ev)) {}
  std::shared_ptr<xz::net::MqttConnectionHandler> on_connected(std::shared_ptr<MqttDeviceConnection> c) override {
    {
      std::lock_guard lk(ev_->mu);
      ev_->connected.push_back(c);
      ev_->cv.notify_all();
    }
    return std::make_shared<EchoConnection>(ev_, std::move(c));
  }

 private:
  std::shared_ptr<Events> ev_;
};

struct Fixture {
  explicit Fixture(xz::net::MqttServerOptions o = {}, std::string key = kKey) : rt(2, 1) {
    o.address = "127.0.0.1";
    o.port = 0;
    if (o.tls_port == 8883) o.tls_port = 0;
    rt.start();
    server = std::make_unique<xz::net::MqttServer>(rt, o, xz::net::official_mqtt_login(std::move(key)),
                                                   std::make_shared<EchoDevices>(ev), &metrics);
    server->start();
  }
  ~Fixture() {
    server->stop();
    rt.stop();
    ev->connected.clear();  // their timers belong to the loops, which go next
  }

  MqttClientOptions device(std::string password = {}) const {
    const auto c = xz::protocol::make_mqtt_credentials(kKey, "bread-compact-wifi", kMac,
                                                       xz::protocol::mqtt_user_data("1.2.3.4"));
    MqttClientOptions o;
    o.port = server->port();
    o.client_id = c.client_id;
    o.username = c.username;
    o.password = password.empty() ? c.password : password;
    return o;
  }

  template <class F>
  auto run(F f) {
    return asio::co_spawn(rt.loop(0), std::move(f), asio::use_future).get();
  }

  std::uint64_t dropped(const std::string& reason) {
    return metrics
        .counter("xiaozhi_mqtt_dropped_total", "MQTT connections the server closed, by reason",
                 "reason=\"" + reason + "\"")
        .value();
  }
  double gauge() { return metrics.gauge("xiaozhi_mqtt_connections", "Devices logged in over MQTT").value(); }

  xz::core::Metrics metrics;
  std::shared_ptr<Events> ev = std::make_shared<Events>();
  xz::core::Runtime rt;
  std::unique_ptr<xz::net::MqttServer> server;
};

// A CONNECT as our client would send it, for raw sockets.
std::string connect_packet(const MqttClientOptions& o, std::uint16_t keep_alive = 60) {
  mqtt::Connect c;
  c.client_id = o.client_id;
  c.username = o.username;
  c.password = o.password;
  c.keep_alive_seconds = keep_alive;
  return mqtt::encode_connect(c);
}

}  // namespace

TEST(MqttServer, ADeviceLogsInWithItsIssuedPasswordAndTalks) {
  Fixture f;
  auto opts = f.device();
  auto result = f.run([&]() -> asio::awaitable<std::vector<std::string>> {
    auto c = co_await MqttClient::connect(opts);
    std::vector<std::string> out;
    c->publish("device-server", R"({"type":"hello"})");
    auto m = co_await c->receive(5000ms);
    out.push_back(m ? m->topic + " " + m->payload : "none");
    out.push_back(co_await c->ping(5000ms) ? "pong" : "no pong");
    auto granted = co_await c->subscribe("devices/#", 2, 5000ms);
    out.push_back(granted ? "granted " + std::to_string(*granted) : "no suback");
    out.push_back(co_await c->publish_acked("device-server", "q1", 5000ms) ? "puback" : "no puback");
    c->disconnect();
    co_await c->wait_closed();
    co_return out;
  });
  EXPECT_EQ(result, (std::vector<std::string>{"devices/p2p/aa_bb_cc_dd_ee_ff ack:{\"type\":\"hello\"}", "pong",
                                              "granted 1", "puback"}));
  ASSERT_TRUE(f.ev->wait([](Events& e) { return !e.closed.empty(); }));
  std::lock_guard lk(f.ev->mu);
  ASSERT_EQ(f.ev->connected.size(), 1u);
  const auto& conn = *f.ev->connected[0];
  EXPECT_EQ(conn.device_id(), kMac);
  EXPECT_EQ(conn.uuid(), "aa_bb_cc_dd_ee_ff");  // the reference puts the MAC where the uuid goes
  EXPECT_EQ(conn.group_id(), "GID_bread-compact-wifi");
  EXPECT_EQ(conn.remote_ip(), "127.0.0.1");
  EXPECT_EQ(conn.keep_alive_seconds(), 240);
  EXPECT_FALSE(conn.tls());
  ASSERT_EQ(f.ev->published.size(), 2u);
  EXPECT_EQ(f.ev->published[0].first, "device-server");
  EXPECT_EQ(f.ev->published[1].second, "q1");
  EXPECT_EQ(f.ev->closed, std::vector<MqttCloseReason>{MqttCloseReason::disconnect});
  EXPECT_EQ(f.gauge(), 0);
}

TEST(MqttServer, WrongCredentialsAreRefused) {
  Fixture f;
  auto code_of = [&](MqttClientOptions o) {
    return f.run([o]() -> asio::awaitable<int> {
      try {
        co_await MqttClient::connect(o);
        co_return 0;
      } catch (const MqttConnectError& e) {
        co_return e.code ? static_cast<int>(*e.code) : -1;
      }
    });
  };
  EXPECT_EQ(code_of(f.device("7wjGxJBnuLuXnGZxCzoJGa/z1JRAWqRoe2byq/PCP+w=")), 4);  // another device's password
  auto other_user = f.device();
  other_user.username = "eyJpcCI6ICI2LjYuNi42In0=";  // the password signs the user name too
  EXPECT_EQ(code_of(other_user), 4);
  auto bad_id = f.device();
  bad_id.client_id = "GID_x@@@aa_bb_cc_dd_ee_ff";  // two parts: the gateway let these in unchecked
  EXPECT_EQ(code_of(bad_id), 2);
  EXPECT_EQ(f.metrics.counter("xiaozhi_mqtt_logins_refused_total", "").value(), 3u);
  EXPECT_EQ(code_of(f.device()), 0);
  std::lock_guard lk(f.ev->mu);
  EXPECT_EQ(f.ev->connected.size(), 1u);
}

TEST(MqttServer, WithoutASignatureKeyNobodyLogsIn) {
  Fixture f({}, "");
  auto opts = f.device();
  auto code = f.run([opts]() -> asio::awaitable<int> {
    try {
      co_await MqttClient::connect(opts);
      co_return 0;
    } catch (const MqttConnectError& e) {
      co_return e.code ? static_cast<int>(*e.code) : -1;
    }
  });
  EXPECT_EQ(code, 5);
}

TEST(MqttServer, ASilentDeviceIsClosedAfterOneAndAHalfKeepAlives) {
  Fixture f;
  auto silent = f.device();
  silent.keep_alive_seconds = 1;
  silent.send_pings = false;
  auto pinging = silent;
  pinging.send_pings = true;
  const auto other = xz::protocol::make_mqtt_credentials(kKey, "x", "11:22:33:44:55:66", "{}");
  pinging.client_id = other.client_id;
  pinging.username = other.username;
  pinging.password = other.password;
  auto [silent_ms, pinging_open] = f.run([&]() -> asio::awaitable<std::pair<long, bool>> {
    auto p = co_await MqttClient::connect(pinging);
    const auto start = std::chrono::steady_clock::now();
    auto s = co_await MqttClient::connect(silent);
    co_await s->receive(4000ms);  // ends when the server closes (or the test fails)
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    // The pinging device outlives two keep-alive periods.
    co_await xz::core::sleep_for(1000ms);
    co_return std::pair<long, bool>{ms, p->is_open()};
  });
  EXPECT_GE(silent_ms, 1450);  // 1.5 x 1 s
  EXPECT_LT(silent_ms, 3000);
  EXPECT_TRUE(pinging_open);
  EXPECT_EQ(f.dropped("keep_alive"), 1u);
}

TEST(MqttServer, CONNECTMustComeInTime) {
  xz::net::MqttServerOptions o;
  o.connect_timeout = 300ms;
  Fixture f(o);
  RawConnection raw(f.server->port());
  const auto start = std::chrono::steady_clock::now();
  auto r = raw.read_for(3000ms);
  EXPECT_TRUE(r.closed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2000ms);
  EXPECT_EQ(f.dropped("login_timeout"), 1u);
  // And a packet other than CONNECT first closes at once.
  RawConnection raw2(f.server->port());
  raw2.send(mqtt::encode_pingreq());
  EXPECT_TRUE(raw2.read_for(3000ms).closed);
}

TEST(MqttServer, QoS2AndMalformedPacketsClose) {
  Fixture f;
  const auto login = connect_packet(f.device());
  const std::string connack = mqtt::encode_connack({false, mqtt::ConnackCode::accepted});
  {
    RawConnection raw(f.server->port());
    raw.send(login);
    EXPECT_EQ(raw.read_for(3000ms, connack).data, connack);
    raw.send(mqtt::encode_publish({"t", "x", 2, false, false, 5}));
    EXPECT_TRUE(raw.read_for(3000ms).closed);
  }
  {
    RawConnection raw(f.server->port());
    raw.send(login);
    EXPECT_EQ(raw.read_for(3000ms, connack).data, connack);
    raw.send(std::string("\xc1\x00", 2));  // PINGREQ with a reserved flag
    EXPECT_TRUE(raw.read_for(3000ms).closed);
  }
  EXPECT_TRUE(f.ev->wait([](Events& e) { return e.closed.size() == 2; }));
  EXPECT_EQ(f.dropped("protocol"), 2u);
}

TEST(MqttServer, AnOversizePacketCloses) {
  xz::net::MqttServerOptions o;
  o.max_packet_bytes = 1024;
  Fixture f(o);
  auto opts = f.device();
  auto closed = f.run([&]() -> asio::awaitable<bool> {
    auto c = co_await MqttClient::connect(opts);
    c->publish("device-server", std::string(900, 'a'));  // fits
    auto ack = co_await c->receive(5000ms);
    if (!ack) co_return false;
    c->publish("device-server", std::string(1100, 'a'));
    co_await c->receive(5000ms);
    co_return !c->is_open();
  });
  EXPECT_TRUE(closed);
  ASSERT_TRUE(f.ev->wait([](Events& e) { return !e.closed.empty(); }));
  EXPECT_EQ(f.ev->closed[0], MqttCloseReason::oversize);
  EXPECT_EQ(f.ev->published.size(), 1u);
  EXPECT_EQ(f.dropped("oversize"), 1u);
}

TEST(MqttServer, PacketsFasterThanTheRateClose) {
  xz::net::MqttServerOptions o;
  o.max_packets_per_second = 10;
  o.packet_burst = 20;
  Fixture f(o);
  RawConnection raw(f.server->port());
  std::string burst = connect_packet(f.device());
  for (int i = 0; i < 100; ++i) burst += mqtt::encode_pingreq();
  raw.send(burst);
  auto r = raw.read_for(3000ms);
  EXPECT_TRUE(r.closed);
  // CONNACK and the pings within the burst were answered, then nothing.
  EXPECT_LT(r.data.size(), 4u + 2u * 25u);
  EXPECT_EQ(f.dropped("rate"), 1u);
}

TEST(MqttServer, ADeviceThatDoesNotReadIsDropped) {
  xz::net::MqttServerOptions o;
  o.max_queued_bytes = 256 * 1024;
  Fixture f(o);
  RawConnection raw(f.server->port());  // never reads after CONNACK
  raw.send(connect_packet(f.device()));
  raw.send(mqtt::encode_publish({"device-server", "flood"}));
  ASSERT_TRUE(f.ev->wait([](Events& e) { return !e.closed.empty(); }));
  EXPECT_EQ(f.ev->closed[0], MqttCloseReason::slow_reader);
  EXPECT_EQ(f.dropped("slow_reader"), 1u);
}

TEST(MqttServer, LoggingInAgainReplacesTheOldConnection) {
  Fixture f;
  auto opts = f.device();
  std::shared_ptr<MqttClient> second;
  auto result = f.run([&]() -> asio::awaitable<std::string> {
    auto first = co_await MqttClient::connect(opts);
    second = co_await MqttClient::connect(opts);
    co_await first->receive(5000ms);
    if (first->is_open()) co_return "the first connection is still open";
    second->publish("device-server", "still here");
    auto m = co_await second->receive(5000ms);
    co_return m ? m->payload : "none";
  });
  EXPECT_EQ(result, "ack:still here");
  ASSERT_TRUE(f.ev->wait([](Events& e) { return !e.closed.empty(); }));
  EXPECT_EQ(f.ev->closed[0], MqttCloseReason::replaced);
  EXPECT_EQ(f.server->connected(), 1u);
  EXPECT_EQ(f.gauge(), 1);
  EXPECT_EQ(f.dropped("replaced"), 1u);
  // The client is used on its loop only, its end included.
  f.run([c = std::move(second)]() mutable -> asio::awaitable<void> {
    c->abort();
    c.reset();
    co_return;
  });
}

TEST(MqttServer, DevicesConnectOverTls) {
  const auto cert = xz::test::make_self_signed();
  const auto dir = std::filesystem::temp_directory_path() / ("mqtt_tls_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "cert.pem") << cert.cert_pem;
  std::ofstream(dir / "key.pem") << cert.key_pem;
  xz::net::MqttServerOptions o;
  o.tls_cert_file = (dir / "cert.pem").string();
  o.tls_key_file = (dir / "key.pem").string();
  Fixture f(o);
  ASSERT_NE(f.server->tls_port(), 0);
  auto opts = f.device();
  opts.port = f.server->tls_port();
  opts.tls = true;
  opts.tls_context = std::make_shared<asio::ssl::context>(xz::net::make_tls_client_context({}, cert.cert_pem, true));
  auto result = f.run([&]() -> asio::awaitable<std::string> {
    auto c = co_await MqttClient::connect(opts);
    c->publish("device-server", "secret");
    auto m = co_await c->receive(5000ms);
    co_return m ? m->payload : "none";
  });
  std::filesystem::remove_all(dir);
  EXPECT_EQ(result, "ack:secret");
  std::lock_guard lk(f.ev->mu);
  ASSERT_EQ(f.ev->connected.size(), 1u);
  EXPECT_TRUE(f.ev->connected[0]->tls());
}

TEST(MqttServer, TheConnectionCapHolds) {
  xz::net::MqttServerOptions o;
  o.limiter = std::make_shared<xz::net::ConnectionLimiter>(xz::net::ConnectionLimits{1, 0, {}});
  Fixture f(o);
  RawConnection first(f.server->port());
  first.send(connect_packet(f.device()));
  const std::string connack = mqtt::encode_connack({false, mqtt::ConnackCode::accepted});
  EXPECT_EQ(first.read_for(3000ms, connack).data, connack);
  RawConnection second(f.server->port());
  EXPECT_TRUE(second.read_for(3000ms).closed);
}

namespace {
std::size_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}
}  // namespace

// Issue 18's target: server memory per idle MQTT device <= 8 KiB. The devices are raw
// sockets (kernel memory only), so the process's RSS growth is the server's share:
// connection state, coroutine frames, the handler.
TEST(MqttServer, AnIdleDeviceCostsUnder8KiB) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan's redzones and quarantine make RSS say nothing about the server";
#endif
  constexpr int kDevices = 2000;
  Fixture f;
  const std::string connack = mqtt::encode_connack({false, mqtt::ConnackCode::accepted});
  std::vector<std::string> logins;
  for (int i = 0; i < kDevices; ++i) {
    char mac[18];
    std::snprintf(mac, sizeof mac, "02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
    const auto c = xz::protocol::make_mqtt_credentials(kKey, "m", mac, "{}");
    MqttClientOptions o;
    o.client_id = c.client_id;
    o.username = c.username;
    o.password = c.password;
    logins.push_back(connect_packet(o, 240));
  }
  // Warm up allocator pools and the loops with a first batch, then measure the next.
  std::vector<RawConnection> devices;
  devices.reserve(kDevices);
  auto open_batch = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      devices.emplace_back(f.server->port());
      devices.back().send(logins[i]);
    }
    for (int i = from; i < to; ++i) ASSERT_EQ(devices[i].read_for(5000ms, connack).data, connack) << i;
  };
  open_batch(0, 200);
  const std::size_t before = rss_bytes();
  open_batch(200, kDevices);
  ASSERT_TRUE(f.ev->wait([&](Events& e) { return e.connected.size() == kDevices; }));
  const std::size_t after = rss_bytes();
  const double per_device = static_cast<double>(after - before) / (kDevices - 200);
  std::printf("server RSS per idle MQTT device: %.0f bytes\n", per_device);
  EXPECT_LE(per_device, 8 * 1024);
}
