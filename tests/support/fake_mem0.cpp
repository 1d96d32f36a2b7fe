#include "support/fake_mem0.h"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "support/peer_close.h"

namespace xz::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

struct FakeMem0::Impl {
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::string api_key = "m0-test";
  struct Memory {
    std::string id, text, updated_at;
  };
  std::map<std::string, std::vector<Memory>> by_user;
  int next_id = 0;
  std::optional<std::pair<int, std::string>> fail;
  bool hang = false;
  std::chrono::milliseconds delay{0};
  std::vector<FakeMem0Request> requests;
  std::size_t disconnects = 0;

  asio::io_context io{1};
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::thread thread;
};

namespace {

using Impl = FakeMem0::Impl;
using Request = http::request<http::string_body>;

struct Answer {
  int status = 200;
  std::string body;
  bool hang = false;
  std::chrono::milliseconds delay{0};
};

json detail(const std::string& text) { return json{{"detail", text}}; }

Answer answer(Impl& self, const FakeMem0Request& req) {
  std::lock_guard lk(self.mu);
  Answer a;
  a.delay = self.delay;
  if (self.hang) {
    self.hang = false;
    a.hang = true;
    return a;
  }
  if (self.fail) {
    a.status = self.fail->first;
    a.body = self.fail->second.empty() ? detail("fake error " + std::to_string(a.status)).dump() : self.fail->second;
    self.fail.reset();
    return a;
  }
  auto auth = req.headers.find("authorization");
  if (auth == req.headers.end() || auth->second != "Token " + self.api_key) {
    a.status = 401;
    a.body = detail("Given token not valid for any token type").dump();
    return a;
  }
  const json& b = req.json;
  if (req.method != "POST" || (req.path != "/v1/memories/" && req.path != "/v1/memories/search/")) {
    a.status = 404;
    a.body = detail("Not found.").dump();
    return a;
  }
  if (!b.is_object() || !b.contains("user_id") || !b["user_id"].is_string() || b["user_id"].get<std::string>().empty()) {
    a.status = 400;
    a.body = json{{"error", "One of the filters: app_id, user_id, agent_id, run_id is required!"}}.dump();
    return a;
  }
  const std::string user = b["user_id"];
  auto& memories = self.by_user[user];
  if (req.path == "/v1/memories/") {
    if (!b.contains("messages") || !b["messages"].is_array() || b["messages"].empty()) {
      a.status = 400;
      a.body = json{{"messages", json::array({"This field is required."})}}.dump();
      return a;
    }
    json results = json::array();
    for (const auto& m : b["messages"]) {
      if (!m.is_object() || m.value("role", "") != "user" || !m.contains("content") || !m["content"].is_string()) continue;
      Impl::Memory mem{"mem-" + std::to_string(++self.next_id), m["content"], "2025-01-0" + std::to_string(self.next_id % 9 + 1) + "T08:00:00.000000-08:00"};
      memories.push_back(mem);
      results.push_back({{"id", mem.id}, {"memory", mem.text}, {"event", "ADD"}});
    }
    a.body = json{{"results", std::move(results)}}.dump();
    return a;
  }
  if (!b.contains("query") || !b["query"].is_string()) {
    a.status = 400;
    a.body = json{{"query", json::array({"This field is required."})}}.dump();
    return a;
  }
  json results = json::array();
  for (const auto& m : memories) {
    results.push_back({{"id", m.id}, {"memory", m.text}, {"user_id", user}, {"metadata", nullptr},
                       {"categories", json::array({"personal_details"})}, {"created_at", m.updated_at},
                       {"updated_at", m.updated_at}, {"score", 0.42}});
  }
  a.body = json{{"results", std::move(results)}}.dump();
  return a;
}

asio::awaitable<void> serve(Impl* self, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buf;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(4 * 1024 * 1024);
    auto [ec, n] = co_await http::async_read(stream, buf, parser, asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    Request req = parser.release();
    FakeMem0Request rec;
    rec.method = std::string(req.method_string());
    std::string target(req.target());
    rec.path = target.substr(0, target.find('?'));
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      rec.headers[name] = std::string(f.value());
    }
    rec.json = json::parse(req.body(), nullptr, false);
    if (rec.json.is_discarded()) rec.json = nullptr;
    Answer a = answer(*self, rec);
    {
      std::lock_guard lk(self->mu);
      self->requests.push_back(rec);
    }
    self->cv.notify_all();
    if (a.hang) {
      co_await wait_for_peer_close(stream.socket());
      std::lock_guard lk(self->mu);
      ++self->disconnects;
      break;
    }
    if (a.delay.count() > 0) {
      asio::steady_timer t(stream.get_executor(), a.delay);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    http::response<http::string_body> res{static_cast<http::status>(a.status), 11};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = a.body;
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !req.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> accept_loop(Impl* self) {
  for (;;) {
    auto [ec, socket] = co_await self->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;
    }
    asio::co_spawn(self->io, serve(self, std::move(socket)), asio::detached);
  }
}

}  // namespace

FakeMem0::FakeMem0() : impl_(std::make_unique<Impl>()) {
  asio::co_spawn(impl_->io, accept_loop(impl_.get()), asio::detached);
  impl_->thread = std::thread([io = &impl_->io] { io->run(); });
}

FakeMem0::~FakeMem0() {
  impl_->io.stop();
  impl_->thread.join();
}

std::string FakeMem0::url() const { return "http://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port()); }

void FakeMem0::set_api_key(std::string key) {
  std::lock_guard lk(impl_->mu);
  impl_->api_key = std::move(key);
}

void FakeMem0::add_memory(std::string user_id, std::string memory, std::string updated_at) {
  std::lock_guard lk(impl_->mu);
  impl_->by_user[user_id].push_back({"mem-" + std::to_string(++impl_->next_id), std::move(memory), std::move(updated_at)});
}

std::vector<std::string> FakeMem0::memories(const std::string& user_id) const {
  std::lock_guard lk(impl_->mu);
  std::vector<std::string> out;
  if (auto it = impl_->by_user.find(user_id); it != impl_->by_user.end())
    for (const auto& m : it->second) out.push_back(m.text);
  return out;
}

void FakeMem0::fail_next(int status, std::string body) {
  std::lock_guard lk(impl_->mu);
  impl_->fail = std::make_pair(status, std::move(body));
}

void FakeMem0::hang_next() {
  std::lock_guard lk(impl_->mu);
  impl_->hang = true;
}

void FakeMem0::set_delay(std::chrono::milliseconds delay) {
  std::lock_guard lk(impl_->mu);
  impl_->delay = delay;
}

std::vector<FakeMem0Request> FakeMem0::requests() const {
  std::lock_guard lk(impl_->mu);
  return impl_->requests;
}

bool FakeMem0::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->requests.size() >= n; });
}

std::size_t FakeMem0::client_disconnects() const {
  std::lock_guard lk(impl_->mu);
  return impl_->disconnects;
}

}  // namespace xz::test
