#include "net/http_server.h"

#include <algorithm>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "core/async.h"
#include "net/beast_request.h"
#include "net/websocket_impl.h"
#include "net/ws_handshake.h"

namespace xz::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr auto kWriteTimeout = std::chrono::seconds(30);  // per write: a response, or one piece of a file
constexpr std::size_t kFileChunkBytes = 64 * 1024;
// After refusing a request whose body was not read: what is read and dropped before
// closing, so the client sees the answer instead of a reset.
constexpr std::size_t kDrainBytes = 1024 * 1024;
constexpr auto kDrainTimeout = std::chrono::milliseconds(1000);
constexpr auto kRefusalLogInterval = std::chrono::seconds(10);
}  // namespace

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
  // Refusals by the connection caps, logged at most once per interval (accept loop only).
  std::chrono::steady_clock::time_point last_refusal_log{};
  std::uint64_t refusals_unlogged = 0;

  // Idle keep-alive connections, closed by stop_accepting().
  std::mutex idle_mu;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, std::pair<asio::any_io_executor, beast::tcp_stream*>> idle;
  // Here, not in HttpServer: connections may outlive the server object while they end.
  std::atomic<std::size_t> open{0};
};

namespace {

template <class Body>
void set_common(http::response<Body>& res, const HttpResponse& resp, bool keep_alive) {
  res.set(http::field::server, "xiaozhi-server");
  res.set(http::field::content_type, resp.content_type);
  for (const auto& [k, v] : resp.headers) res.insert(k, v);
  res.keep_alive(keep_alive);
}

http::response<http::string_body> to_beast(const HttpResponse& resp, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(resp.status), version};
  set_common(res, resp, keep_alive);
  res.body() = resp.body;
  res.prepare_payload();
  return res;
}

bool ends_connection(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
         ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
         ec == asio::error::bad_descriptor || ec == http::error::partial_message;
}

// Writes a final answer. When the request's body was not read, reads and drops what the
// client still sends for a moment (bounded), so closing does not reset the answer away.
asio::awaitable<void> refuse(beast::tcp_stream& stream, const HttpResponse& resp, bool body_unread) {
  auto res = to_beast(resp, 11, false);
  stream.expires_after(kWriteTimeout);
  auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
  if (wec || !body_unread) co_return;
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::vector<char> scratch(16 * 1024);
  std::size_t dropped = 0;
  stream.expires_after(kDrainTimeout);
  while (dropped < kDrainBytes) {
    auto [rec, n] = co_await stream.async_read_some(asio::buffer(scratch), asio::as_tuple(asio::use_awaitable));
    if (rec) break;
    dropped += n;
  }
}

asio::awaitable<void> refuse(beast::tcp_stream& stream, int status, std::string_view msg, bool body_unread = false) {
  const HttpResponse resp = HttpResponse::error(status, msg);
  co_await refuse(stream, resp, body_unread);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

struct OpenedFile {
  std::shared_ptr<beast::file> file;
  std::uint64_t size = 0;
};

// Streams resp.file_path: the header with its Content-Length, then the file in pieces
// read on the worker pool, each written before the next is read. False when the
// connection broke (the caller closes it).
asio::awaitable<bool> write_file(HttpServer::Impl& impl, beast::tcp_stream& stream, const HttpResponse& resp,
                                 unsigned version, bool keep_alive, bool head_only) {
  auto& pool = impl.rt.pool();
  // Named: g++ 12 destroys an owning lambda temporary of a co_await call twice.
  auto open = [path = *resp.file_path]() -> std::optional<OpenedFile> {
    OpenedFile out;
    out.file = std::make_shared<beast::file>();
    beast::error_code ec;
    out.file->open(path.c_str(), beast::file_mode::scan, ec);
    if (!ec) out.size = out.file->size(ec);
    if (ec) return std::nullopt;
    return out;
  };
  auto opened = co_await core::offload(pool, std::move(open));
  if (!opened) {
    spdlog::error("{}: cannot open {} to send it", impl.opts.name, *resp.file_path);
    auto res = to_beast(HttpResponse::error(500, "cannot read the file"), version, keep_alive);
    stream.expires_after(kWriteTimeout);
    auto [ec, n] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    co_return !ec;
  }

  http::response<http::buffer_body> res{static_cast<http::status>(resp.status), version};
  set_common(res, resp, keep_alive);
  res.content_length(opened->size);
  res.body().data = nullptr;
  res.body().more = !head_only && opened->size > 0;
  http::response_serializer<http::buffer_body> sr{res};
  stream.expires_after(kWriteTimeout);
  auto [hec, hn] = co_await http::async_write_header(stream, sr, asio::as_tuple(asio::use_awaitable));
  if (hec) co_return false;
  if (head_only || opened->size == 0) co_return true;

  auto chunk = std::make_shared<std::vector<char>>(std::min<std::uint64_t>(kFileChunkBytes, opened->size));
  std::uint64_t left = opened->size;
  while (left > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk->size(), left));
    auto read = [file = opened->file, chunk, want]() -> std::size_t {
      beast::error_code ec;
      std::size_t n = file->read(chunk->data(), want, ec);
      return ec ? 0 : n;
    };
    const std::size_t got = co_await core::offload(pool, std::move(read));
    if (got == 0) co_return false;  // the file shrank or failed: the answer cannot be completed
    left -= got;
    res.body().data = chunk->data();
    res.body().size = got;
    res.body().more = left > 0;
    stream.expires_after(kWriteTimeout);
    auto [wec, wn] = co_await http::async_write(stream, sr, asio::as_tuple(asio::use_awaitable));
    if (wec && wec != http::error::need_buffer) co_return false;
  }
  co_return true;
}

asio::awaitable<void> serve(std::shared_ptr<HttpServer::Impl> impl, WebSocketHandler ws_handler,
                            UpgradeCheck upgrade_check, tcp::socket socket, std::shared_ptr<void> slot) {
  struct Count {
    std::atomic<std::size_t>& n;
    explicit Count(std::atomic<std::size_t>& c) : n(c) { ++n; }
    ~Count() { --n; }
  } count(impl->open);

  beast::error_code ec;
  asio::ip::address peer;
  auto ep = socket.remote_endpoint(ec);
  if (!ec) peer = ep.address();
  socket.set_option(tcp::no_delay(true), ec);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  const HttpServerOptions& opts = impl->opts;

  for (;;) {
    if (impl->stopping) break;
    http::request_parser<http::empty_body> head;
    head.header_limit(kHeaderLimit);
    head.body_limit(boost::none);  // the route's limit is applied once the header is known
    stream.expires_after(opts.header_timeout);

    std::uint64_t id;
    {
      std::lock_guard lk(impl->idle_mu);
      id = impl->next_id++;
      impl->idle[id] = {stream.get_executor(), &stream};
    }
    auto [rec, n] = co_await http::async_read_header(stream, buffer, head, asio::as_tuple(asio::use_awaitable));
    {
      std::lock_guard lk(impl->idle_mu);
      impl->idle.erase(id);
    }
    if (ends_connection(rec)) break;
    if (rec == http::error::header_limit) {
      co_await refuse(stream, 431, "request header too large");
      break;
    }
    if (rec) {
      co_await refuse(stream, 400, std::string("malformed request: ") + rec.message());
      break;
    }

    HttpRequest r = to_request(head.get(), peer, opts.trusted_proxies);
    const bool has_body = !head.is_done();
    const unsigned version = head.get().version();
    bool keep = head.get().keep_alive();
    const bool head_only = head.get().method() == http::verb::head;

    if (ws::is_upgrade_request(r)) {
      if (!ws_handler) {
        co_await refuse(stream, 400, "WebSocket is not served on this port", has_body);
        break;
      }
      if (has_body) {
        co_await refuse(stream, 400, "an upgrade request carries no body", true);
        break;
      }
      if (upgrade_check) {
        if (auto refusal = upgrade_check(r)) {
          co_await refuse(stream, *refusal, false);
          break;
        }
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
      adopt.remote_ip = r.remote_ip;
      adopt.max_message_bytes = opts.max_ws_message_bytes;
      adopt.connection_slot = std::move(slot);
      auto upgraded = stream.release_socket();
      ws_handler(adopt_websocket(std::move(upgraded), std::move(adopt)), std::move(r));
      co_return;
    }

    // The route decides on the header whether the body is worth reading at all.
    const RouteLimits& limits = impl->router->limits_for(r);
    if (limits.precheck) {
      if (auto refusal = limits.precheck(r)) {
        impl->router->add_default_headers(*refusal);
        co_await refuse(stream, *refusal, has_body);
        break;
      }
    }
    if (has_body) {
      const std::size_t max_body = limits.max_body_bytes.value_or(opts.max_body_bytes);
      const auto declared = head.content_length();
      if (declared && *declared > max_body) {
        co_await refuse(stream, 413, "request body larger than " + std::to_string(max_body) + " bytes", true);
        break;
      }
      if (iequals(head.get()[http::field::expect], "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        stream.expires_after(kWriteTimeout);
        auto [cec, cn] = co_await asio::async_write(stream, asio::buffer(kContinue.data(), kContinue.size()),
                                                    asio::as_tuple(asio::use_awaitable));
        if (cec) break;
      }
      http::request_parser<http::string_body> whole(std::move(head));
      whole.body_limit(max_body);
      stream.expires_after(opts.body_timeout);
      auto [bec, bn] = co_await http::async_read(stream, buffer, whole, asio::as_tuple(asio::use_awaitable));
      if (bec == http::error::body_limit) {
        co_await refuse(stream, 413, "request body larger than " + std::to_string(max_body) + " bytes", true);
        break;
      }
      if (bec == beast::error::timeout) {
        spdlog::debug("{}: {} {} from {}: body not complete within {} ms", opts.name, r.method, r.path, r.remote_ip,
                      opts.body_timeout.count());
        break;
      }
      if (ends_connection(bec)) break;
      if (bec) {
        co_await refuse(stream, 400, std::string("malformed request: ") + bec.message());
        break;
      }
      r.body = std::move(whole.get().body());
      keep = whole.get().keep_alive();
    }

    HttpResponse resp;
    try {
      resp = co_await impl->router->dispatch(r);
    } catch (const std::exception& e) {
      spdlog::error("{}: {} {} failed: {}", opts.name, r.method, r.path, e.what());
      resp = HttpResponse::error(500, "internal error");
    }
    keep = keep && !impl->stopping;
    if (resp.file_path) {
      if (!co_await write_file(*impl, stream, resp, version, keep, head_only) || !keep) break;
      continue;
    }
    auto res = to_beast(resp, version, keep);
    if (head_only) res.body().clear();
    stream.expires_after(kWriteTimeout);
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !keep) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

void log_refusal(HttpServer::Impl& impl, const asio::ip::address& peer, Refusal why) {
  ++impl.refusals_unlogged;
  const auto now = std::chrono::steady_clock::now();
  if (now - impl.last_refusal_log < kRefusalLogInterval) return;
  const auto& limits = impl.opts.limiter->limits();
  if (why == Refusal::total)
    spdlog::warn("{}: connection from {} closed: {} connections open (server.connections.max_total); "
                 "{} refused since the last report",
                 impl.opts.name, peer.to_string(), limits.max_total, impl.refusals_unlogged);
  else
    spdlog::warn("{}: connection from {} closed: {} connections open from that address "
                 "(server.connections.max_per_ip); {} refused since the last report",
                 impl.opts.name, peer.to_string(), limits.max_per_ip, impl.refusals_unlogged);
  impl.last_refusal_log = now;
  impl.refusals_unlogged = 0;
}

asio::awaitable<void> accept_loop(std::shared_ptr<HttpServer::Impl> impl, WebSocketHandler ws_handler,
                                  UpgradeCheck upgrade_check) {
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
    std::shared_ptr<void> slot;
    if (impl->opts.limiter) {
      beast::error_code pec;
      auto peer = socket.remote_endpoint(pec);
      if (pec) continue;  // already gone; the socket closes here
      auto admission = impl->opts.limiter->admit(peer.address());
      if (!admission.slot) {
        log_refusal(*impl, peer.address(), admission.refused);
        continue;  // closed at once: nothing read, nothing answered
      }
      slot = std::move(admission.slot);
    }
    asio::co_spawn(loop, serve(impl, ws_handler, upgrade_check, std::move(socket), std::move(slot)), asio::detached);
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
  asio::co_spawn(a.get_executor(), accept_loop(impl_, ws_handler_, upgrade_check_), asio::detached);
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
