#pragma once
// A local fake of the manager API's chat-history endpoint (POST
// /xiaozhi/agent/chat-history/report) on a real HTTP server: it records every request
// and answers with scripted statuses, then {"code":0,"msg":"success"}.
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/runtime.h"
#include "net/http_server.h"

namespace xz::test {

struct ManagerCall {
  std::string path;
  std::string authorization;
  std::string content_type;
  std::string body;
  nlohmann::json json;
};

struct ManagerAnswer {
  int status = 200;
  std::string body = R"({"code":0,"msg":"success","data":null})";
};

class FakeManagerApi {
 public:
  FakeManagerApi() {
    rt_.start();
    auto router = std::make_shared<net::HttpRouter>();
    auto st = state_;
    router->add("POST", "/xiaozhi/agent/chat-history/report", [st](net::HttpRequest& req) -> boost::asio::awaitable<net::HttpResponse> {
      ManagerAnswer answer;
      {
        std::lock_guard lk(st->mu);
        st->calls.push_back({req.path, req.header("authorization"), req.header("content-type"), req.body,
                             nlohmann::json::parse(req.body, nullptr, false)});
        if (!st->script.empty()) {
          answer = st->script.front();
          st->script.pop_front();
        } else {
          answer = st->fallback;
        }
      }
      net::HttpResponse r;
      r.status = answer.status;
      r.content_type = "application/json";
      r.body = answer.body;
      co_return r;
    });
    net::HttpServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    server_ = std::make_unique<net::HttpServer>(rt_, o, router);
    server_->start();
  }
  ~FakeManagerApi() {
    server_->stop_accepting();
    rt_.stop();
  }

  // The manager-api.url to configure (the reference's form, with /xiaozhi).
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/xiaozhi"; }

  // Answers for the next requests, in order; then `fallback`.
  void script(std::vector<ManagerAnswer> answers) {
    std::lock_guard lk(state_->mu);
    for (auto& a : answers) state_->script.push_back(std::move(a));
  }
  void set_fallback(ManagerAnswer a) {
    std::lock_guard lk(state_->mu);
    state_->fallback = std::move(a);
  }

  std::vector<ManagerCall> calls() const {
    std::lock_guard lk(state_->mu);
    return state_->calls;
  }

 private:
  struct State {
    mutable std::mutex mu;
    std::vector<ManagerCall> calls;
    std::deque<ManagerAnswer> script;
    ManagerAnswer fallback;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
  core::Runtime rt_{1, 1};
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace xz::test
