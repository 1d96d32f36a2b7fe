// The HTTP listener against hostile clients, over real sockets: per-route body limits
// decided on the header, header and body deadlines, refusal before the body is read,
// streamed files, connection caps, and the hook that refuses an upgrade before the 101.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/metrics.h"
#include "core/runtime.h"
#include "net/connection_limiter.h"
#include "net/http_server.h"
#include "support/raw_client.h"

using namespace std::chrono_literals;
using xz::net::HttpRequest;
using xz::net::HttpResponse;
using xz::test::RawConnection;

namespace {

constexpr std::size_t kSmallLimit = 64 * 1024;

std::string chunk(std::size_t n, char fill = 'x') {
  char head[32];
  std::snprintf(head, sizeof head, "%zx\r\n", n);
  return head + std::string(n, fill) + "\r\n";
}

std::size_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

struct Server {
  explicit Server(xz::net::HttpServerOptions o = {}) : rt(2, 2) {
    auto router = std::make_shared<xz::net::HttpRouter>();
    router->add("POST", "/small", [this](HttpRequest& req) -> boost::asio::awaitable<HttpResponse> {
      ++handled;
      co_return HttpResponse::text(200, std::to_string(req.body.size()));
    }, {kSmallLimit, {}});
    xz::net::RouteLimits guarded{1024 * 1024, [](const HttpRequest& req) -> std::optional<HttpResponse> {
                                   if (req.header("X-Token") == "ok") return std::nullopt;
                                   return HttpResponse::error(401, "no token");
                                 }};
    router->add("POST", "/guarded", [this](HttpRequest&) -> boost::asio::awaitable<HttpResponse> {
      ++handled;
      co_return HttpResponse::text(200, "in");
    }, guarded);
    router->add("GET", "/health", [](HttpRequest&) -> boost::asio::awaitable<HttpResponse> {
      co_return HttpResponse::text(200, "ok");
    });
    router->add("GET", "/file", [this](HttpRequest&) -> boost::asio::awaitable<HttpResponse> {
      HttpResponse r;
      r.content_type = "application/octet-stream";
      r.file_path = file_path;
      co_return r;
    });
    o.address = "127.0.0.1";
    o.port = 0;
    rt.start();
    server = std::make_unique<xz::net::HttpServer>(rt, o, router);
    server->set_upgrade_check([](const HttpRequest& req) -> std::optional<HttpResponse> {
      if (req.header("Origin").empty()) return std::nullopt;
      return HttpResponse::error(403, "not from this page");
    });
    server->set_websocket_handler([this](std::shared_ptr<xz::net::WebSocket> ws, HttpRequest) {
      ++upgraded;
      ws->close();
    });
    server->start();
  }
  ~Server() {
    server->stop_accepting();
    rt.stop();
  }
  unsigned short port() const { return server->port(); }
  int health() {
    RawConnection c(port());
    c.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return RawConnection::status_of(c.read_for(3s, "\r\n\r\n").data);
  }

  xz::core::Runtime rt;
  std::unique_ptr<xz::net::HttpServer> server;
  std::atomic<int> handled{0};
  std::atomic<int> upgraded{0};
  std::string file_path;
};

xz::net::HttpServerOptions deadlines(std::chrono::milliseconds header, std::chrono::milliseconds body) {
  xz::net::HttpServerOptions o;
  o.header_timeout = header;
  o.body_timeout = body;
  return o;
}

}  // namespace

TEST(HttpServerLimits, DeclaredBodyAboveTheRouteLimitGets413WithoutBeingRead) {
  Server s;  // server default 1 MiB; the route allows 64 KiB
  RawConnection c(s.port());
  const auto t0 = std::chrono::steady_clock::now();
  c.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(100 * 1024) + "\r\n\r\n");
  auto r = c.read_for(5s, "\r\n\r\n");
  EXPECT_EQ(RawConnection::status_of(r.data), 413) << r.data;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "answered on the header, not after waiting for the body";
  EXPECT_TRUE(c.read_for(3s).closed) << "the connection ends: its body was never read";
  EXPECT_EQ(s.handled, 0);
  // A body within the limit goes through.
  RawConnection ok(s.port());
  ok.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'a'));
  EXPECT_EQ(RawConnection::status_of(ok.read_for(3s, "\r\n\r\n").data), 200);
}

TEST(HttpServerLimits, ChunkedBodyIsCutAtTheRouteLimit) {
  Server s;
  RawConnection c(s.port());
  std::string req = "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 25; ++i) req += chunk(4096);  // 100 KiB in all
  req += "0\r\n\r\n";
  c.send(req);
  auto r = c.read_for(5s, "\r\n\r\n");
  EXPECT_EQ(RawConnection::status_of(r.data), 413) << r.data;
  EXPECT_EQ(s.handled, 0);
}

TEST(HttpServerLimits, EndlessBodiesCostOnlyTheirConnection) {
  Server s;
  // Chunked, never ending: the server stops reading at the limit and hangs up.
  std::atomic<std::size_t> sent{0};
  std::atomic<bool> cut{false};
  std::thread endless([&] {
    RawConnection c(s.port());
    c.send("POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string piece = chunk(16 * 1024);
    const auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < 20s) {
      if (!c.send(piece)) {
        cut = true;
        return;
      }
      sent += piece.size();
    }
  });
  // Meanwhile others are served.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(s.health(), 200);
  endless.join();
  EXPECT_TRUE(cut) << "the endless body was never cut off";
  // What a sender can push before the hang-up: the limit plus the kernel's buffers.
  EXPECT_LT(sent.load(), 32u * 1024 * 1024);
  EXPECT_EQ(s.handled, 0);

  // A Content-Length of a terabyte: refused on the header.
  RawConnection big(s.port());
  big.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 1099511627776\r\n\r\n");
  EXPECT_EQ(RawConnection::status_of(big.read_for(3s, "\r\n\r\n").data), 413);
  EXPECT_EQ(s.health(), 200);
}

TEST(HttpServerLimits, PrecheckRefusesBeforeTheBodyIsRead) {
  Server s;
  RawConnection c(s.port());
  const auto t0 = std::chrono::steady_clock::now();
  c.send("POST /guarded HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\n" + std::string(1000, 'a'));
  auto r = c.read_for(5s, "\r\n\r\n");
  EXPECT_EQ(RawConnection::status_of(r.data), 401) << r.data;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(s.handled, 0);
  RawConnection ok(s.port());
  ok.send("POST /guarded HTTP/1.1\r\nHost: x\r\nX-Token: ok\r\nContent-Length: 10\r\n\r\n0123456789");
  EXPECT_EQ(RawConnection::status_of(ok.read_for(3s, "\r\n\r\n").data), 200);
  EXPECT_EQ(s.handled, 1);
}

TEST(HttpServerLimits, StalledHeaderIsClosedAtTheHeaderDeadline) {
  Server s(deadlines(400ms, 400ms));
  RawConnection c(s.port());
  c.send("GET /health HTTP/1.1\r\nHost: x\r\n");  // never finished
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.read_for(5s);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.closed);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 3s);
}

TEST(HttpServerLimits, StalledBodyIsClosedAtTheBodyDeadline) {
  Server s(deadlines(10s, 400ms));
  RawConnection c(s.port());
  c.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.read_for(5s);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.closed);
  EXPECT_LT(took, 3s) << "the body deadline, not the 10 s header one";
  EXPECT_EQ(s.handled, 0);
}

TEST(HttpServerLimits, ExpectContinueIsAnsweredBeforeTheBody) {
  Server s;
  RawConnection c(s.port());
  c.send("POST /small HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  auto interim = c.read_for(3s, "\r\n\r\n");
  EXPECT_EQ(RawConnection::status_of(interim.data), 100) << interim.data;
  c.send("hello");
  auto r = c.read_for(3s, "\r\n\r\n5");
  EXPECT_NE(r.data.find("200 OK"), std::string::npos) << r.data;
}

TEST(HttpServerLimits, FilesAreStreamedNotLoaded) {
  Server s;
  // Sparse: 200 MiB of zeros that take no disk.
  auto dir = std::filesystem::temp_directory_path() / ("xz_stream_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  s.file_path = (dir / "big.bin").string();
  constexpr std::size_t kSize = 200u * 1024 * 1024;
  {
    std::ofstream f(s.file_path, std::ios::binary);
  }
  std::filesystem::resize_file(s.file_path, kSize);

  RawConnection c(s.port());
  c.send("GET /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::size_t rss0 = rss_bytes();
  std::size_t peak = rss0, got = 0;
  std::string head;
  bool header_done = false;
  for (;;) {
    auto r = c.read_some(10s);
    if (!header_done) {
      head += r.data;
      auto end = head.find("\r\n\r\n");
      if (end != std::string::npos) {
        header_done = true;
        got = head.size() - end - 4;
        EXPECT_NE(head.find("Content-Length: " + std::to_string(kSize)), std::string::npos) << head.substr(0, end);
      }
    } else {
      got += r.data.size();
    }
    peak = std::max(peak, rss_bytes());
    if (r.closed || r.data.empty()) break;
  }
  EXPECT_EQ(got, kSize);
  EXPECT_LT(peak - rss0, 64u * 1024 * 1024) << "the file was held in memory";

  RawConnection h(s.port());
  h.send("HEAD /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto r = h.read_for(3s);
  EXPECT_NE(r.data.find("Content-Length: " + std::to_string(kSize)), std::string::npos) << r.data;
  EXPECT_LT(r.data.size(), 1024u) << "HEAD sends no body";
  std::filesystem::remove_all(dir);
}

TEST(HttpServerLimits, UpgradeCheckRefusesBeforeTheHandshake) {
  Server s;
  const std::string upgrade =
      "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  RawConnection browser(s.port());
  browser.send(upgrade + "Origin: http://elsewhere.example\r\n\r\n");
  auto r = browser.read_for(3s, "\r\n\r\n");
  EXPECT_EQ(RawConnection::status_of(r.data), 403) << r.data;
  EXPECT_EQ(s.upgraded, 0);
  RawConnection firmware(s.port());
  firmware.send(upgrade + "\r\n");
  EXPECT_EQ(RawConnection::status_of(firmware.read_for(3s, "\r\n\r\n").data), 101);
}

namespace {

// True when the server closed the connection at once (a refusal), false when it keeps
// it open waiting for a request.
bool closed_at_once(RawConnection& c) { return c.read_for(400ms).closed; }

// The server notices a client's close on its next read; wait for the count to drop.
bool wait_open(const xz::net::ConnectionLimiter& l, std::size_t n) {
  for (int i = 0; i < 300 && l.open() != n; ++i) std::this_thread::sleep_for(10ms);
  return l.open() == n;
}

}  // namespace

TEST(HttpServerLimits, PerAddressCapRefusesOverItAndAcceptsOnceBelow) {
  xz::core::Metrics metrics;
  xz::net::ConnectionLimits limits;
  limits.max_per_ip = 3;  // loopback is not exempt here
  auto limiter = std::make_shared<xz::net::ConnectionLimiter>(limits, &metrics);
  auto o = deadlines(30s, 30s);
  o.limiter = limiter;
  Server s(o);
  std::vector<RawConnection> held;
  for (int i = 0; i < 3; ++i) held.emplace_back(s.port());
  ASSERT_TRUE(wait_open(*limiter, 3));
  for (auto& c : held) EXPECT_FALSE(closed_at_once(c));
  RawConnection over(s.port());
  EXPECT_TRUE(closed_at_once(over)) << "a fourth connection from the same address";
  EXPECT_NE(metrics.render().find("xiaozhi_connections_refused_total{cap=\"per_ip\"} 1"), std::string::npos)
      << metrics.render();

  held.pop_back();
  ASSERT_TRUE(wait_open(*limiter, 2));
  EXPECT_EQ(s.health(), 200) << "room again once one closed";
}

TEST(HttpServerLimits, GlobalCapRefusesOverItAndAcceptsOnceBelow) {
  xz::net::ConnectionLimits limits;
  limits.max_total = 2;
  limits.per_ip_exempt = xz::core::IpRanges({"127.0.0.0/8"});
  auto limiter = std::make_shared<xz::net::ConnectionLimiter>(limits);
  auto o = deadlines(30s, 30s);
  o.limiter = limiter;
  Server s(o);
  std::vector<RawConnection> held;
  for (int i = 0; i < 2; ++i) held.emplace_back(s.port());
  ASSERT_TRUE(wait_open(*limiter, 2));
  RawConnection over(s.port());
  EXPECT_TRUE(closed_at_once(over));
  held.clear();
  ASSERT_TRUE(wait_open(*limiter, 0));
  EXPECT_EQ(s.health(), 200);
}

TEST(ConnectionLimiter, SlotsAreCountedPerAddressAndReleased) {
  xz::net::ConnectionLimits limits;
  limits.max_total = 3;
  limits.max_per_ip = 2;
  limits.per_ip_exempt = xz::core::IpRanges({"10.9.0.0/16"});
  auto l = std::make_shared<xz::net::ConnectionLimiter>(limits);
  auto a = boost::asio::ip::make_address("192.0.2.1");
  auto mapped = boost::asio::ip::make_address("::ffff:192.0.2.1");
  auto proxy = boost::asio::ip::make_address("10.9.1.1");
  auto s1 = l->admit(a);
  auto s2 = l->admit(mapped);  // the same client through a dual-stack listener
  ASSERT_TRUE(s1.slot && s2.slot);
  EXPECT_EQ(l->open_from(a), 2u);
  EXPECT_EQ(l->admit(a).refused, xz::net::Refusal::per_ip);
  auto s3 = l->admit(proxy);
  ASSERT_TRUE(s3.slot) << "exempt from the per-address cap";
  EXPECT_EQ(l->admit(proxy).refused, xz::net::Refusal::total) << "but not from the global one";
  s1.slot.reset();
  EXPECT_EQ(l->open(), 2u);
  EXPECT_EQ(l->open_from(a), 1u);
  EXPECT_TRUE(l->admit(a).slot);
}
