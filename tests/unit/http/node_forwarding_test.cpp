// The push API's forwarding between nodes, against real HTTP servers on loopback that
// play the other nodes, and a node that accepts connections but never answers.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/runtime.h"
#include "core/unique_fd.h"
#include "http/node_forwarding.h"
#include "net/http_server.h"

using namespace std::chrono_literals;
using namespace xz;
using nlohmann::json;

namespace {

constexpr const char* kToken = "admin-secret-token-of-32-characters";

// Another node's push API: holds the devices it is given; records what it was asked.
class FakeNode {
 public:
  FakeNode(core::Runtime& rt, std::vector<std::string> held) : held_(std::move(held)) {
    auto router = std::make_shared<net::HttpRouter>();
    router->add("GET", "/api/devices/online", [this](net::HttpRequest& req) -> core::Task<net::HttpResponse> {
      note(req);
      json list = json::array();
      for (const auto& id : held_) list.push_back({{"device_id", id}});
      co_return net::HttpResponse::json(200, {{"devices", list}});
    });
    router->add("POST", "/api/devices/{id}/speak", [this](net::HttpRequest& req) -> core::Task<net::HttpResponse> {
      note(req);
      for (const auto& id : held_)
        if (id == req.params["id"]) co_return net::HttpResponse::json(200, {{"success", true}, {"said", req.body}});
      co_return net::HttpResponse::error(404, "not connected");
    });
    net::HttpServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    server_ = std::make_unique<net::HttpServer>(rt, o, router);
    server_->start();
  }
  ~FakeNode() { server_->stop_accepting(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  int asked() const { return asked_; }
  std::string last_forwarded_by() {
    std::lock_guard lock(mu_);
    return forwarded_by_;
  }
  std::string last_authorization() {
    std::lock_guard lock(mu_);
    return authorization_;
  }

 private:
  void note(const net::HttpRequest& req) {
    ++asked_;
    std::lock_guard lock(mu_);
    forwarded_by_ = req.header(http::kForwardedHeader);
    authorization_ = req.header("Authorization");
  }
  std::vector<std::string> held_;
  std::unique_ptr<net::HttpServer> server_;
  std::atomic<int> asked_{0};
  std::mutex mu_;
  std::string forwarded_by_, authorization_;
};

// Listens but never accepts: the kernel completes the handshake, nobody answers.
class SilentNode {
 public:
  SilentNode() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_.get(), 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  core::UniqueFd fd_;
  int port_ = 0;
};

http::MqttNode node(std::string name, std::string api_url) {
  http::MqttNode n;
  n.name = std::move(name);
  n.host = "127.0.0.1";
  n.api_url = std::move(api_url);
  return n;
}

net::HttpRequest speak_request(const std::string& id) {
  net::HttpRequest req;
  req.method = "POST";
  req.target = "/api/devices/" + id + "/speak";
  req.body = R"({"text":"hi"})";
  return req;
}

class NodeForwardingTest : public ::testing::Test {
 protected:
  NodeForwardingTest() : rt_(2, 1) { rt_.start(); }
  ~NodeForwardingTest() override { rt_.stop(); }

  std::shared_ptr<http::NodeForwarder> forwarder(std::vector<http::MqttNode> nodes,
                                                 std::chrono::milliseconds total = 10s) {
    http::NodeForwardingOptions o;
    o.nodes.nodes = std::move(nodes);
    o.nodes.self = "a";
    o.admin_token = kToken;
    o.connect_timeout = 1s;
    o.total_timeout = total;
    return std::make_shared<http::NodeForwarder>(std::move(o));
  }

  template <class T>
  T run(core::Task<T> task) {
    return boost::asio::co_spawn(rt_.loop(0), std::move(task), boost::asio::use_future).get();
  }

  core::Runtime rt_;
};

}  // namespace

TEST_F(NodeForwardingTest, ADeviceHeldByAnotherNodeIsReachedThroughIt) {
  FakeNode b(rt_, {"24:0a:c4:00:00:01"});
  FakeNode c(rt_, {"24:0a:c4:00:00:02"});
  auto fwd = forwarder({node("a", "http://127.0.0.1:1"), node("b", b.url()), node("c", c.url())});
  for (const char* id : {"24:0a:c4:00:00:01", "24:0a:c4:00:00:02"}) {
    auto req = speak_request(id);
    auto answer = run(fwd->forward(req, id));
    ASSERT_TRUE(answer.has_value()) << id;
    EXPECT_EQ(answer->status, 200);
    EXPECT_NE(answer->body.find(R"(\"text\":\"hi\")"), std::string::npos) << answer->body;
  }
  EXPECT_EQ(b.last_forwarded_by(), "a");
  EXPECT_EQ(b.last_authorization(), std::string("Bearer ") + kToken);
  auto req = speak_request("24:0a:c4:00:00:09");
  EXPECT_FALSE(run(fwd->forward(req, "24:0a:c4:00:00:09")).has_value()) << "nobody holds it";
}

TEST_F(NodeForwardingTest, AForwardedRequestIsNeverForwardedAgain) {
  FakeNode b(rt_, {"24:0a:c4:00:00:01"});
  auto fwd = forwarder({node("a", "http://127.0.0.1:1"), node("b", b.url())});
  auto req = speak_request("24:0a:c4:00:00:01");
  req.headers[std::string("x-xiaozhi-forwarded-by")] = "b";
  EXPECT_FALSE(run(fwd->forward(req, "24:0a:c4:00:00:01")).has_value());
  auto online = run(fwd->remote_online(req));
  EXPECT_TRUE(online.devices.empty());
  EXPECT_EQ(b.asked(), 0);
}

TEST_F(NodeForwardingTest, OnlineListsEveryNodeAndNamesTheUnreachable) {
  FakeNode b(rt_, {"24:0a:c4:00:00:01", "24:0a:c4:00:00:03"});
  auto fwd = forwarder({node("a", "http://127.0.0.1:1"), node("b", b.url()), node("c", "http://127.0.0.1:1")});
  net::HttpRequest req;
  req.method = "GET";
  req.target = "/api/devices/online";
  auto online = run(fwd->remote_online(req));
  ASSERT_EQ(online.devices.size(), 2u);
  EXPECT_EQ(online.devices[0]["node"], "b");
  ASSERT_EQ(online.unreachable.size(), 1u);
  EXPECT_EQ(online.unreachable[0]["node"], "c");
}

TEST_F(NodeForwardingTest, SilentNodesCostOneTimeoutTogetherNotOneEach) {
  SilentNode b, c, d;
  auto fwd = forwarder({node("a", "http://127.0.0.1:1"), node("b", b.url()), node("c", c.url()), node("d", d.url())},
                       600ms);
  net::HttpRequest req;
  req.method = "GET";
  req.target = "/api/devices/online";
  const auto t0 = std::chrono::steady_clock::now();
  auto online = run(fwd->remote_online(req));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(online.unreachable.size(), 3u);
  EXPECT_GE(took, 550ms);
  EXPECT_LT(took, 1500ms) << "asked one after the other, three silent nodes would cost 1.8 s";
}
