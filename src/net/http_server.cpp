#include "net/http_server.h"

#include <fstream>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "core/async.h"
#include "net/websocket_impl.h"
#include "net/ws_handshake.h"

namespace xz::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Impl {
  Impl(core::Runtime& r, HttpServerOptions o, std::shared_ptr<const HttpRouter> rt)
      : rt(r), opts(std::move(o)), router(std::move(rt)), acceptor(r.loop(0)) {}

  core::Runtime& rt;
  HttpServerOptions opts;
  std::shared_ptr<const HttpRouter> router;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  // Each listener deals its own connections round-robin over the loops: a shared
  // counter let OTA checks and WebSockets alternate, piling every device on one loop.
  std::size_t next_loop = 0;

  // Idle keep-alive connections, closed by stop_accepting().
  std::mutex idle_mu;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, std::pair<asio::any_io_executor, beast::tcp_stream*>> idle;
  // Here, not in HttpServer: connections may outlive the server object while they end.
  std::atomic<std::size_t> open{0};
};

namespace {

HttpRequest to_request(const http::request<http::string_body>& req, const std::string& ip) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  auto q = r.target.find('?');
  r.path = percent_decode(std::string_view(r.target).substr(0, q));
  if (q != std::string::npos) r.query = parse_query(std::string_view(r.target).substr(q + 1));
  for (const auto& f : req) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  r.body = req.body();
  r.remote_ip = ip;
  return r;
}

http::response<http::string_body> to_beast(const HttpResponse& resp, unsigned version,
                                           bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(resp.status), version};
  res.set(http::field::server, "xiaozhi-server");
  res.set(http::field::content_type, resp.content_type);
  for (const auto& [k, v] : resp.headers) res.insert(k, v);
  res.body() = resp.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

asio::awaitable<void> write_simple(beast::tcp_stream& stream, int status, std::string_view msg) {
  auto res = to_beast(HttpResponse::error(status, msg), 11, false);
  co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
}

std::string read_whole_file(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open " + path);
  auto size = static_cast<std::size_t>(in.tellg());
  if (size > limit) throw std::runtime_error(path + " is larger than the download limit");
  std::string data(size, '\0');
  in.seekg(0);
  in.read(data.data(), static_cast<std::streamsize>(size));
  return data;
}

asio::awaitable<void> serve(std::shared_ptr<HttpServer::Impl> impl, WebSocketHandler ws_handler, tcp::socket socket) {
  struct Count {
    std::atomic<std::size_t>& n;
    explicit Count(std::atomic<std::size_t>& c) : n(c) { ++n; }
    ~Count() { --n; }
  } count(impl->open);

  beast::error_code ec;
  std::string ip;
  auto ep = socket.remote_endpoint(ec);
  if (!ec) ip = ep.address().to_string();
  socket.set_option(tcp::no_delay(true), ec);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;

  for (;;) {
    if (impl->stopping) break;
    http::request_parser<http::string_body> parser;
    parser.body_limit(impl->opts.max_body_bytes);
    parser.header_limit(16 * 1024);
    stream.expires_after(impl->opts.idle_timeout);

    std::uint64_t id;
    {
      std::lock_guard lk(impl->idle_mu);
      id = impl->next_id++;
      impl->idle[id] = {stream.get_executor(), &stream};
    }
    auto [rec, n] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    {
      std::lock_guard lk(impl->idle_mu);
      impl->idle.erase(id);
    }
    if (rec == http::error::end_of_stream || rec == asio::error::eof ||
        rec == beast::error::timeout || rec == asio::error::operation_aborted ||
        rec == asio::error::connection_reset || rec == asio::error::bad_descriptor)
      break;
    if (rec == http::error::body_limit) {
      co_await write_simple(stream, 413, "request body too large");
      break;
    }
    if (rec) {
      co_await write_simple(stream, 400, std::string("malformed request: ") + rec.message());
      break;
    }

    auto req = parser.release();
    HttpRequest r = to_request(req, ip);
    if (ws::is_upgrade_request(r)) {
      if (!ws_handler) {
        co_await write_simple(stream, 400, "WebSocket is not served on this port");
        break;
      }
      auto answer = ws::answer_upgrade(r, "xiaozhi-server");
      if (answer.status != 101) {
        auto res = to_beast(HttpResponse::error(answer.status, answer.error), 11, false);
        if (answer.status == 426) res.set(http::field::sec_websocket_version, "13");
        co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        break;
      }
      stream.expires_after(std::chrono::seconds(10));
      auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(answer.response),
                                                  asio::as_tuple(asio::use_awaitable));
      if (wec) break;
      stream.expires_never();
      WsAdoptOptions adopt;
      adopt.already_read = beast::buffers_to_string(buffer.data());  // frames sent right after the GET
      adopt.remote_ip = ip;
      adopt.max_message_bytes = impl->opts.max_ws_message_bytes;
      auto socket = stream.release_socket();
      ws_handler(adopt_websocket(std::move(socket), std::move(adopt)), std::move(r));
      co_return;
    }

    HttpResponse resp;
    try {
      resp = co_await impl->router->dispatch(r);
      if (resp.file_path) {
        auto& pool = impl->rt.pool();
        // Named: g++ 12 destroys an owning lambda temporary of a co_await call twice.
        auto read = [p = *resp.file_path, lim = impl->opts.max_file_bytes] { return read_whole_file(p, lim); };
        resp.body = co_await core::offload(pool, std::move(read));
        resp.file_path.reset();
      }
    } catch (const std::exception& e) {
      spdlog::error("{}: {} {} failed: {}", impl->opts.name, r.method, r.path, e.what());
      resp = HttpResponse::error(500, "internal error");
    }
    bool keep = req.keep_alive() && !impl->stopping;
    auto res = to_beast(resp, req.version(), keep);
    if (req.method() == http::verb::head) res.body().clear();
    stream.expires_after(std::chrono::seconds(30));
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !keep) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> accept_loop(std::shared_ptr<HttpServer::Impl> impl, WebSocketHandler ws_handler) {
  for (;;) {
    auto& loop = impl->rt.loop(impl->next_loop++ % impl->rt.loop_count());
    auto [ec, socket] = co_await impl->acceptor.async_accept(loop, asio::as_tuple(asio::use_awaitable));
    if (impl->stopping || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // EMFILE and friends: back off a little instead of spinning.
      spdlog::warn("{}: accept failed: {}", impl->opts.name, ec.message());
      co_await core::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    asio::co_spawn(loop, serve(impl, ws_handler, std::move(socket)), asio::detached);
  }
}

}  // namespace

HttpServer::HttpServer(core::Runtime& rt, HttpServerOptions opts, std::shared_ptr<const HttpRouter> router)
    : impl_(std::make_shared<Impl>(rt, std::move(opts), std::move(router))) {}

HttpServer::~HttpServer() { stop_accepting(); }

void HttpServer::start() {
  auto& a = impl_->acceptor;
  beast::error_code ec;
  auto addr = asio::ip::make_address(impl_->opts.address, ec);
  if (ec) throw std::runtime_error(impl_->opts.name + ": invalid address '" + impl_->opts.address + "'");
  tcp::endpoint ep(addr, impl_->opts.port);
  auto where = impl_->opts.address + ":" + std::to_string(impl_->opts.port);
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error(impl_->opts.name + ": cannot listen on " + where + ": " + ec.message());
  bound_port_ = a.local_endpoint().port();
  asio::co_spawn(a.get_executor(), accept_loop(impl_, ws_handler_), asio::detached);
}

std::size_t HttpServer::open_connections() const { return impl_->open.load(); }

void HttpServer::stop_accepting() {
  auto impl = impl_;
  if (impl->stopping.exchange(true)) return;
  asio::post(impl->acceptor.get_executor(), [impl] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  std::lock_guard lk(impl->idle_mu);
  for (auto& [id, entry] : impl->idle) {
    auto* stream = entry.second;
    // The stream lives in its coroutine frame until the read completes, which this
    // cancel makes happen; run it on the connection's own loop.
    asio::post(entry.first, [impl, id, stream] {
      std::lock_guard lk2(impl->idle_mu);
      if (impl->idle.count(id)) stream->cancel();
    });
  }
}

}  // namespace xz::net
