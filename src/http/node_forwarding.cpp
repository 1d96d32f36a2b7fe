#include "http/node_forwarding.h"

#include <cmath>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <spdlog/spdlog.h>

#include "core/async.h"
#include "net/http_client.h"
#include "protocol/json_text.h"

namespace xz::http {

namespace asio = boost::asio;

struct NodeForwarder::Answer {
  const MqttNode* node = nullptr;
  std::optional<net::HttpClientResponse> response;  // nullopt: unreachable
  std::string error;
};

namespace {

// 404 is the node's own "not connected"; 401/403 (a node with another admin token)
// cannot be its answer for the device either: ask the next one.
bool holds_device(const NodeForwarder::Answer& a) {
  if (!a.response) return false;
  const int s = a.response->status;
  return s != 404 && s != 401 && s != 403;
}

net::HttpResponse as_response(const net::HttpClientResponse& r) {
  net::HttpResponse out;
  out.status = r.status;
  const std::string type = r.header("Content-Type");
  if (!type.empty()) out.content_type = type;
  out.body = r.body;
  return out;
}

}  // namespace

NodeForwarder::NodeForwarder(NodeForwardingOptions opts)
    : opts_(std::move(opts)), client_(std::make_shared<net::HttpClient>()) {}

NodeForwarder::~NodeForwarder() = default;

bool NodeForwarder::is_forwarded(const net::HttpRequest& req) { return !req.header(kForwardedHeader).empty(); }

asio::awaitable<std::vector<NodeForwarder::Answer>> NodeForwarder::ask(std::vector<const MqttNode*> targets,
                                                                        const net::HttpRequest& req,
                                                                        bool stop_at_first_holder) {
  std::vector<Answer> answers;
  if (targets.empty()) co_return answers;
  // Every request is bounded by its own timeouts; the channel holds all answers, so a
  // request finishing after we stopped listening never blocks.
  const auto ex = co_await asio::this_coro::executor;
  auto results = std::make_shared<core::Channel<Answer>>(ex, targets.size());
  for (const MqttNode* node : targets) {
    net::HttpClientRequest r;
    r.method = req.method;
    r.url = node->api_url + req.target;
    r.headers = {{"Authorization", "Bearer " + opts_.admin_token}, {kForwardedHeader, opts_.nodes.self}};
    if (!req.body.empty()) {
      r.headers.emplace_back("Content-Type", "application/json");
      r.body = req.body;
    }
    r.connect_timeout = opts_.connect_timeout;
    r.total_timeout = opts_.total_timeout;
    r.max_response_bytes = 4 << 20;
    // A named job, and no co_await in the co_spawn expression: g++ 12 destroys an
    // owning lambda temporary of a full expression with a co_await twice.
    auto job = [client = client_, results, node, r = std::move(r)]() mutable -> asio::awaitable<void> {
      Answer a;
      a.node = node;
      try {
        a.response = co_await client->request(std::move(r));
      } catch (const std::exception& e) {
        a.error = e.what();
      }
      results->try_send(boost::system::error_code{}, std::move(a));
    };
    asio::co_spawn(ex, std::move(job), asio::detached);
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    auto a = co_await core::receive(*results);
    if (!a) break;
    const bool holder = holds_device(*a);
    answers.push_back(std::move(*a));
    if (stop_at_first_holder && holder) break;
  }
  co_return answers;
}

asio::awaitable<std::optional<net::HttpResponse>> NodeForwarder::forward(const net::HttpRequest& req,
                                                                        const std::string& device_id) {
  if (is_forwarded(req)) co_return std::nullopt;
  const auto& nodes = opts_.nodes.nodes;
  const MqttNode* home = assign_node(nodes, device_id);
  std::vector<const MqttNode*> first;
  if (home && home->name != self()) first.push_back(home);
  auto answers = co_await ask(first, req, true);
  if (!answers.empty() && holds_device(answers.front())) co_return as_response(*answers.front().response);

  std::vector<const MqttNode*> rest;
  for (const auto& n : nodes)
    if (!n.down && n.name != self() && &n != home) rest.push_back(&n);
  auto more = co_await ask(rest, req, true);
  for (auto& a : more)
    if (holds_device(a)) co_return as_response(*a.response);
  answers.insert(answers.end(), more.begin(), more.end());
  for (const auto& a : answers) {
    if (!a.response)
      spdlog::warn("push: node {} unreachable for device {}: {}", a.node->name, device_id, a.error);
    else if (a.response->status == 401 || a.response->status == 403)
      spdlog::warn("push: node {} refused our admin token (server.admin_token must be the same on every node)",
                   a.node->name);
  }
  co_return std::nullopt;
}

asio::awaitable<RemoteOnline> NodeForwarder::remote_online(const net::HttpRequest& req) {
  RemoteOnline out;
  if (is_forwarded(req)) co_return out;
  std::vector<const MqttNode*> others;
  for (const auto& n : opts_.nodes.nodes)
    if (n.name != self()) others.push_back(&n);
  auto answers = co_await ask(others, req, false);
  for (auto& a : answers) {
    std::string problem = a.error;
    if (a.response && a.response->ok()) {
      auto j = protocol::parse_json_text(a.response->body);
      if (!j.is_discarded() && j.is_object() && j.contains("devices") && j["devices"].is_array()) {
        for (auto& d : j["devices"]) {
          if (!d.is_object()) continue;
          d["node"] = a.node->name;
          out.devices.push_back(std::move(d));
        }
        continue;
      }
      problem = "answer is not a device list";
    } else if (a.response) {
      problem = "HTTP " + std::to_string(a.response->status);
    }
    out.unreachable.push_back({{"node", a.node->name}, {"error", problem}});
  }
  co_return out;
}

std::shared_ptr<NodeForwarder> node_forwarder_from_config(const core::Config& cfg, const MqttNodeSettings& nodes,
                                                          std::string admin_token) {
  if (!cfg.get<bool>("server.mqtt.enabled", false) || !nodes.several() || admin_token.empty()) return nullptr;
  NodeForwardingOptions o;
  o.nodes = nodes;
  o.admin_token = std::move(admin_token);
  auto ms = [&](const char* key, double fallback) {
    return std::chrono::milliseconds(std::llround(cfg.get<double>(key, fallback) * 1000));
  };
  o.connect_timeout = ms("server.mqtt.forward_connect_timeout_seconds", 2.0);
  o.total_timeout = ms("server.mqtt.forward_timeout_seconds", 15.0);
  return std::make_shared<NodeForwarder>(std::move(o));
}

}  // namespace xz::http
