#include "support/fake_mcp_http.h"

#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "support/hostile_mcp.h"

namespace xz::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;
using error_code = boost::system::error_code;
template <class T = void>
using Task = asio::awaitable<T>;

namespace {

// One open event stream (a GET /mcp or a GET /sse response).
struct EventStream {
  explicit EventStream(asio::any_io_executor ex, std::string sid, bool is_legacy)
      : out(std::move(ex), 256), session(std::move(sid)), legacy(is_legacy) {}
  asio::experimental::channel<void(error_code, std::string)> out;  // event texts; close() ends it
  std::string session;
  bool legacy;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string sse_event(const Json& m) { return "event: message\ndata: " + m.dump() + "\n\n"; }

// echo with "hostile": true: the hostile messages go first (hostile_mcp.h).
bool wants_hostile(const Json& req) {
  const Json* args = nullptr;
  if (auto p = req.find("params"); p != req.end() && p->is_object())
    if (auto a = p->find("arguments"); a != p->end() && a->is_object()) args = &*a;
  return args && args->value("hostile", false);
}

std::string hostile_events() {
  std::string out;
  for (const auto& m : hostile_mcp_messages()) out += "event: message\ndata: " + m + "\n\n";
  return out;
}

Json result(const Json& id, Json r) { return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(r)}}; }

Json error(const Json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

Json text_result(const std::string& text, bool is_error = false) {
  Json r = {{"content", Json::array({{{"type", "text"}, {"text", text}}})}};
  if (is_error) r["isError"] = true;
  return r;
}

Json tool(const std::string& name, const std::string& description, Json properties = Json::object()) {
  return {{"name", name},
          {"description", description},
          {"inputSchema", {{"type", "object"}, {"properties", std::move(properties)}}}};
}

}  // namespace

struct FakeMcpHttp::Impl {
  explicit Impl(FakeMcpHttpOptions o) : opts(o) {}

  FakeMcpHttpOptions opts;
  std::uint16_t port = 0;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<FakeMcpRequest> requests;
  std::size_t open_streams = 0;

  // Used on the io thread only.
  std::set<std::string> sessions;
  std::vector<std::shared_ptr<EventStream>> streams;
  std::vector<std::string> extra_tools;
  int next_session = 0;

  std::unique_ptr<asio::io_context> io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;

  void record(FakeMcpRequest r) {
    {
      std::lock_guard lk(mu);
      requests.push_back(std::move(r));
    }
    cv.notify_all();
  }
  void count_stream(int delta) {
    {
      std::lock_guard lk(mu);
      open_streams = static_cast<std::size_t>(static_cast<long>(open_streams) + delta);
    }
    cv.notify_all();
  }
  // Runs fn on the io thread and waits for it.
  template <class Fn>
  void run_sync(Fn fn) {
    std::promise<void> done;
    asio::post(*io, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  Json all_tools() const {
    Json tools = Json::array({tool("echo", "Repeats the text", {{"text", {{"type", "string"}}}}),
                              tool("fail", "Always fails"), tool("speak", "Says hello directly"),
                              tool("slow", "Answers after ms milliseconds", {{"ms", {{"type", "integer"}}}}),
                              tool("add_tool", "Adds a tool", {{"name", {{"type", "string"}}}})});
    for (const auto& name : extra_tools) tools.push_back(tool(name, "Added at run time"));
    return tools;
  }

  void broadcast(const std::string& text) {
    for (auto& s : streams) s->out.try_send(error_code{}, text);
  }

  void add_tool_now(const std::string& name) {
    extra_tools.push_back(name);
    broadcast(sse_event({{"jsonrpc", "2.0"}, {"method", "notifications/tools/list_changed"}}));
  }

  void remove_stream(const std::shared_ptr<EventStream>& s) {
    std::erase(streams, s);
    count_stream(-1);
  }
};

namespace {

using Impl = FakeMcpHttp::Impl;
using Request = http::request<http::string_body>;
constexpr std::size_t kPageSize = 2;

Task<Json> answer(Impl* self, Json req) {
  const Json id = req["id"];
  const std::string method = req.value("method", "");
  const Json params = req.value("params", Json::object());
  if (method == "initialize") {
    co_return result(id, {{"protocolVersion", params.value("protocolVersion", "2025-03-26")},
                          {"capabilities", {{"tools", {{"listChanged", true}}}}},
                          {"serverInfo", {{"name", "fake-mcp-http"}, {"version", "1.0"}}}});
  }
  if (method == "ping") co_return result(id, Json::object());
  if (method == "tools/list") {
    const std::string cursor = params.value("cursor", "");
    std::size_t start = 0;
    if (!cursor.empty()) {
      if (cursor.size() < 2 || cursor[0] != 'p') co_return error(id, -32602, "bad cursor");
      start = std::stoul(cursor.substr(1));
    }
    Json all = self->all_tools();
    Json page = Json::array();
    for (std::size_t i = start; i < all.size() && i < start + kPageSize; ++i) page.push_back(all[i]);
    Json r = {{"tools", page}};
    if (start + kPageSize < all.size()) r["nextCursor"] = "p" + std::to_string(start + kPageSize);
    co_return result(id, r);
  }
  if (method == "tools/call") {
    const std::string name = params.value("name", "");
    const Json args = params.value("arguments", Json::object());
    if (name == "echo") co_return result(id, text_result(args.value("text", "")));
    if (name == "fail") co_return result(id, text_result("it broke", true));
    if (name == "speak") co_return result(id, text_result(R"({"action":"RESPONSE","response":"Hello over HTTP"})"));
    if (name == "slow") {
      int ms = args.value("ms", 1000);
      asio::steady_timer t(*self->io, std::chrono::milliseconds(ms));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      co_return result(id, text_result("slept " + std::to_string(ms)));
    }
    if (name == "add_tool") {
      self->add_tool_now(args.value("name", "extra"));
      co_return result(id, text_result("added"));
    }
    if (std::find(self->extra_tools.begin(), self->extra_tools.end(), name) != self->extra_tools.end())
      co_return result(id, text_result("extra " + name));
    co_return error(id, -32602, "Unknown tool: " + name);
  }
  co_return error(id, -32601, "Method not found: " + method);
}

// Plain parameters (string_view, pointers): g++ 12 mishandles temporaries that share a
// full-expression with co_await, so callers pass literals or named locals.
Task<bool> write_simple(beast::tcp_stream& stream, int status, std::string_view content_type, std::string_view body,
                        const std::vector<std::pair<std::string, std::string>>* headers = nullptr) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  if (!content_type.empty()) res.set(http::field::content_type, content_type);
  if (headers)
    for (const auto& [k, v] : *headers) res.set(k, v);
  res.body() = std::string(body);
  res.keep_alive(true);
  res.prepare_payload();
  auto [ec, n] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

Task<bool> write_raw(beast::tcp_stream& stream, std::string_view text) {
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(text.data(), text.size()),
                                            asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

std::string sse_head(const std::string& session_id) {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n";
  if (!session_id.empty()) head += "Mcp-Session-Id: " + session_id + "\r\n";
  return head + "Connection: close\r\n\r\n";
}

// Writes the stream's events until it is closed or the client goes away.
Task<void> pump(std::shared_ptr<EventStream> es, beast::tcp_stream& stream) {
  for (;;) {
    auto [ec, text] = co_await es->out.async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    const bool written = co_await write_raw(stream, text);
    if (!written) co_return;
  }
}

// Completes when the client closes its side (a stream's client sends nothing).
Task<void> client_gone(beast::tcp_stream& stream) {
  char c;
  auto [ec, n] = co_await stream.socket().async_read_some(asio::buffer(&c, 1), asio::as_tuple(asio::use_awaitable));
  (void)ec;
  (void)n;
}

Task<void> serve_stream(Impl* self, std::shared_ptr<EventStream> es, beast::tcp_stream& stream) {
  using namespace asio::experimental::awaitable_operators;
  self->streams.push_back(es);
  self->count_stream(+1);
  auto a = pump(es, stream);
  auto b = client_gone(stream);
  co_await (std::move(a) || std::move(b));
  self->remove_stream(es);
}

Task<bool> streamable_post(Impl* self, beast::tcp_stream& stream, const FakeMcpRequest& rec) {
  const Json& body = rec.body;
  if (!body.is_object()) co_return co_await write_simple(stream, 400, "text/plain", "expected a JSON-RPC object");
  const std::string method = body.value("method", "");
  const bool is_request = body.contains("method") && body.contains("id");
  auto sid_it = rec.headers.find("mcp-session-id");
  std::string sid = sid_it == rec.headers.end() ? "" : sid_it->second;
  if (method == "initialize") {
    if (!self->opts.stateless) {
      sid = "S" + std::to_string(++self->next_session);
      self->sessions.insert(sid);
    }
  } else if (!self->opts.stateless) {
    if (sid.empty()) co_return co_await write_simple(stream, 400, "text/plain", "missing Mcp-Session-Id");
    if (!self->sessions.count(sid)) co_return co_await write_simple(stream, 404, "text/plain", "unknown session");
  }
  if (!is_request) co_return co_await write_simple(stream, 202, "", "");
  std::vector<std::pair<std::string, std::string>> headers;
  if (!self->opts.stateless) headers.emplace_back("Mcp-Session-Id", sid);
  if (!self->opts.sse_answers) {
    Json ans = co_await answer(self, body);
    const std::string text = wants_hostile(body) ? hostile_batch_with(ans.dump()) : ans.dump();
    co_return co_await write_simple(stream, 200, "application/json", text, &headers);
  }
  // An SSE answer: a log notification first, then the response; then the stream ends.
  const std::string head = sse_head(self->opts.stateless ? "" : sid);
  const bool head_written = co_await write_raw(stream, head);
  if (!head_written) co_return false;
  Json note = {{"jsonrpc", "2.0"},
               {"method", "notifications/message"},
               {"params", {{"level", "info"}, {"data", "working on " + method}}}};
  const std::string first = ": keep-alive\n\n" + sse_event(note) + (wants_hostile(body) ? hostile_events() : "");
  const bool first_written = co_await write_raw(stream, first);
  if (!first_written) co_return false;
  Json ans = co_await answer(self, body);
  const std::string last = sse_event(ans);
  co_await write_raw(stream, last);
  co_return false;
}

Task<bool> streamable_get(Impl* self, beast::tcp_stream& stream, const FakeMcpRequest& rec) {
  if (!self->opts.get_stream) co_return co_await write_simple(stream, 405, "text/plain", "no GET stream");
  auto sid_it = rec.headers.find("mcp-session-id");
  std::string sid = sid_it == rec.headers.end() ? "" : sid_it->second;
  if (!self->opts.stateless) {
    if (sid.empty()) co_return co_await write_simple(stream, 400, "text/plain", "missing Mcp-Session-Id");
    if (!self->sessions.count(sid)) co_return co_await write_simple(stream, 404, "text/plain", "unknown session");
  }
  const std::string head = sse_head("");
  const bool head_written = co_await write_raw(stream, head);
  if (!head_written) co_return false;
  auto es = std::make_shared<EventStream>(self->io->get_executor(), sid, false);
  co_await serve_stream(self, es, stream);
  co_return false;
}

Task<bool> legacy_get(Impl* self, beast::tcp_stream& stream) {
  std::string sid = "L" + std::to_string(++self->next_session);
  const std::string head = sse_head("") + "event: endpoint\ndata: /messages/?session_id=" + sid + "\n\n";
  const bool head_written = co_await write_raw(stream, head);
  if (!head_written) co_return false;
  auto es = std::make_shared<EventStream>(self->io->get_executor(), sid, true);
  co_await serve_stream(self, es, stream);
  co_return false;
}

Task<void> legacy_answer(Impl* self, std::shared_ptr<EventStream> es, Json body) {
  if (wants_hostile(body)) es->out.try_send(error_code{}, hostile_events());
  Json ans = co_await answer(self, std::move(body));
  es->out.try_send(error_code{}, sse_event(ans));
}

Task<bool> legacy_post(Impl* self, beast::tcp_stream& stream, const FakeMcpRequest& rec) {
  std::string sid;
  if (auto q = rec.target.find("session_id="); q != std::string::npos) sid = rec.target.substr(q + 11);
  std::shared_ptr<EventStream> es;
  for (auto& s : self->streams)
    if (s->legacy && s->session == sid) es = s;
  if (!es) co_return co_await write_simple(stream, 404, "text/plain", "Could not find session");
  if (!rec.body.is_object()) co_return co_await write_simple(stream, 400, "text/plain", "expected a JSON-RPC object");
  bool keep = co_await write_simple(stream, 202, "text/plain", "Accepted");
  if (rec.body.contains("method") && rec.body.contains("id"))
    asio::co_spawn(*self->io, legacy_answer(self, es, rec.body), asio::detached);
  co_return keep;
}

Task<bool> route(Impl* self, beast::tcp_stream& stream, const FakeMcpRequest& rec) {
  if (rec.path == "/mcp") {
    if (rec.method == "POST") co_return co_await streamable_post(self, stream, rec);
    if (rec.method == "GET") co_return co_await streamable_get(self, stream, rec);
    if (rec.method == "DELETE") {
      auto sid = rec.headers.find("mcp-session-id");
      bool known = sid != rec.headers.end() && self->sessions.erase(sid->second) > 0;
      co_return co_await write_simple(stream, known ? 200 : 404, "text/plain", known ? "bye" : "unknown session");
    }
    co_return co_await write_simple(stream, 405, "text/plain", "method not allowed");
  }
  if (rec.path == "/sse" && rec.method == "GET") co_return co_await legacy_get(self, stream);
  if (rec.path.starts_with("/messages") && rec.method == "POST") co_return co_await legacy_post(self, stream, rec);
  const std::string missing = "no route " + rec.path;
  co_return co_await write_simple(stream, 404, "text/plain", missing);
}

Task<void> serve_connection(Impl* self, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buf;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    auto [ec, n] = co_await http::async_read(stream, buf, parser, asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    Request req = parser.release();
    FakeMcpRequest rec;
    rec.method = std::string(req.method_string());
    rec.target = std::string(req.target());
    rec.path = rec.target.substr(0, rec.target.find('?'));
    for (const auto& f : req) rec.headers[lower(std::string(f.name_string()))] = std::string(f.value());
    rec.body = req.body().empty() ? Json() : Json::parse(req.body(), nullptr, false);
    if (rec.body.is_discarded()) rec.body = Json();
    self->record(rec);
    bool keep = co_await route(self, stream, rec);
    if (!keep || !req.keep_alive()) break;
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

Task<void> accept_loop(Impl* self) {
  for (;;) {
    auto [ec, socket] = co_await self->acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;
    }
    asio::co_spawn(*self->io, serve_connection(self, std::move(socket)), asio::detached);
  }
}

}  // namespace

FakeMcpHttp::FakeMcpHttp(FakeMcpHttpOptions opts) : impl_(std::make_unique<Impl>(opts)) {
  auto& s = *impl_;
  s.io = std::make_unique<asio::io_context>(1);
  s.acceptor = std::make_unique<tcp::acceptor>(*s.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  s.port = s.acceptor->local_endpoint().port();
  asio::co_spawn(*s.io, accept_loop(&s), asio::detached);
  s.thread = std::thread([io = s.io.get()] { io->run(); });
}

FakeMcpHttp::~FakeMcpHttp() {
  auto& s = *impl_;
  s.io->stop();
  s.thread.join();
  s.acceptor.reset();
  s.io.reset();  // destroys the suspended connection coroutines while the state still exists
}

std::string FakeMcpHttp::streamable_url() const { return "http://127.0.0.1:" + std::to_string(impl_->port) + "/mcp"; }
std::string FakeMcpHttp::sse_url() const { return "http://127.0.0.1:" + std::to_string(impl_->port) + "/sse"; }
std::uint16_t FakeMcpHttp::port() const { return impl_->port; }

void FakeMcpHttp::add_tool(const std::string& name) {
  impl_->run_sync([&] { impl_->add_tool_now(name); });
}

void FakeMcpHttp::expire_sessions() {
  impl_->run_sync([&] {
    impl_->sessions.clear();
    for (auto& s : impl_->streams)
      if (!s->legacy) s->out.close();
  });
}

void FakeMcpHttp::drop_streams() {
  impl_->run_sync([&] {
    for (auto& s : impl_->streams) s->out.close();
  });
}

std::size_t FakeMcpHttp::open_streams() const {
  std::lock_guard lk(impl_->mu);
  return impl_->open_streams;
}

bool FakeMcpHttp::wait_for_streams(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->open_streams == n; });
}

std::vector<FakeMcpRequest> FakeMcpHttp::requests() const {
  std::lock_guard lk(impl_->mu);
  return impl_->requests;
}

namespace {
std::size_t count_locked(const std::vector<FakeMcpRequest>& requests, const std::string& rpc_method) {
  return static_cast<std::size_t>(std::count_if(requests.begin(), requests.end(), [&](const FakeMcpRequest& r) {
    if (r.body.is_object() && r.body.contains("method")) return r.body["method"] == rpc_method;
    return r.body.is_null() && r.method == rpc_method;
  }));
}
}  // namespace

std::size_t FakeMcpHttp::count(const std::string& rpc_method) const {
  std::lock_guard lk(impl_->mu);
  return count_locked(impl_->requests, rpc_method);
}

bool FakeMcpHttp::wait_for(const std::string& rpc_method, std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return count_locked(impl_->requests, rpc_method) >= n; });
}

}  // namespace xz::test
