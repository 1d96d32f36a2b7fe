#include "net/http_client.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include "net/tls_client.h"

namespace xz::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

namespace {

constexpr std::size_t kMaxErrorBody = 64 * 1024;
constexpr std::size_t kMaxIdleTotal = 64;
constexpr std::size_t kReadChunk = 16 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

struct Endpoint {
  bool tls = false;
  std::string host;         // without IPv6 brackets
  std::string port;
  std::string host_header;  // host[:port] as the Host header wants it
  std::string target;       // path + query
  std::string display;      // scheme://host:port/path, for messages (no query: it may hold keys)
  std::string pool_key;     // scheme://host:port
};

Endpoint parse_endpoint(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw std::runtime_error("invalid URL: '" + url + "'");
  Endpoint e;
  auto scheme = parsed->scheme_id();
  if (scheme == boost::urls::scheme::https) {
    e.tls = true;
  } else if (scheme != boost::urls::scheme::http) {
    throw std::runtime_error("unsupported URL scheme (http or https only): '" + url + "'");
  }
  e.host = parsed->host_address();
  if (e.host.empty()) throw std::runtime_error("URL without a host: '" + url + "'");
  e.port = parsed->has_port() ? std::string(parsed->port()) : (e.tls ? "443" : "80");
  std::string host_for_header = parsed->host_type() == boost::urls::host_type::ipv6
                                    ? "[" + e.host + "]"
                                    : e.host;
  bool default_port = e.port == (e.tls ? "443" : "80");
  e.host_header = default_port ? host_for_header : host_for_header + ":" + e.port;
  e.target = std::string(parsed->encoded_path());
  if (e.target.empty()) e.target = "/";
  std::string path = e.target;
  if (parsed->has_query()) e.target += "?" + std::string(parsed->encoded_query());
  std::string scheme_name = e.tls ? "https" : "http";
  e.pool_key = scheme_name + "://" + host_for_header + ":" + e.port;
  e.display = scheme_name + "://" + e.host_header + path;
  return e;
}

std::string millis_text(Clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// Routes a cancellation request to `fn` while an operation that has no per-operation
// cancellation of its own (the resolver) is pending.
class CancelHook {
 public:
  template <class Fn>
  CancelHook(asio::cancellation_slot slot, Fn fn) : slot_(slot) {
    if (slot_.is_connected()) slot_.assign([fn](asio::cancellation_type) { fn(); });
  }
  ~CancelHook() {
    if (slot_.is_connected()) slot_.clear();
  }
  CancelHook(const CancelHook&) = delete;
  CancelHook& operator=(const CancelHook&) = delete;

 private:
  asio::cancellation_slot slot_;
};

[[noreturn]] void throw_cancelled() {
  throw boost::system::system_error(asio::error::operation_aborted);
}

}  // namespace

namespace http_client_detail {

// One kept-alive connection. Only used by coroutines on `executor`.
struct Connection {
  Connection(asio::any_io_executor ex, std::string key) : executor(ex), pool_key(std::move(key)),
        stream(std::in_place_index<0>, ex) {}
  Connection(asio::any_io_executor ex, std::string key, ssl::context& ctx)
      : executor(ex), pool_key(std::move(key)), stream(std::in_place_index<1>, ex, ctx) {}

  beast::tcp_stream& tcp() {
    if (auto* p = std::get_if<0>(&stream)) return *p;
    return beast::get_lowest_layer(std::get<1>(stream));
  }
  bool is_tls() const { return stream.index() == 1; }

  // A pooled connection the server has closed meanwhile shows EOF (or stray bytes).
  bool looks_alive() {
    auto& sock = tcp().socket();
    if (!sock.is_open()) return false;
    char c;
    ssize_t n = ::recv(sock.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    // TLS may legitimately have unread records (session tickets); plain HTTP may not.
    return is_tls();
  }

  asio::any_io_executor executor;
  std::string pool_key;
  std::variant<beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  Clock::time_point idle_since{};
};

}  // namespace http_client_detail

using http_client_detail::Connection;

struct HttpClient::Impl {
  explicit Impl(HttpClientOptions o)
      : opts(std::move(o)), tls_ctx(make_tls_client_context(opts.ca_file, opts.ca_pem, opts.verify_peer)) {}

  std::unique_ptr<Connection> take(const std::string& key, const asio::any_io_executor& ex) {
    std::vector<std::unique_ptr<Connection>> expired;  // closed outside the lock
    std::unique_ptr<Connection> found;
    {
      std::lock_guard lk(mu);
      auto now = Clock::now();
      for (auto it = idle.begin(); it != idle.end();) {
        if (now - (*it)->idle_since > opts.idle_timeout) {
          expired.push_back(std::move(*it));
          it = idle.erase(it);
        } else if (!found && (*it)->pool_key == key && (*it)->executor == ex) {
          found = std::move(*it);
          it = idle.erase(it);
        } else {
          ++it;
        }
      }
    }
    if (found && !found->looks_alive()) found.reset();
    return found;
  }

  void put(std::unique_ptr<Connection> conn) {
    conn->idle_since = Clock::now();
    std::unique_ptr<Connection> evicted;
    std::lock_guard lk(mu);
    auto same = std::count_if(idle.begin(), idle.end(), [&](const auto& c) {
      return c->pool_key == conn->pool_key && c->executor == conn->executor;
    });
    if (static_cast<std::size_t>(same) >= opts.max_idle_per_host) return;  // conn closes
    if (idle.size() >= kMaxIdleTotal) {
      evicted = std::move(idle.front());
      idle.erase(idle.begin());
    }
    idle.push_back(std::move(conn));
  }

  asio::awaitable<std::unique_ptr<Connection>> connect(const Endpoint& ep, Clock::time_point deadline,
                                                       Clock::duration budget);

  struct Outcome {
    error_code ec;          // network failure, if any
    bool got_response = false;  // some response bytes were parsed
    bool reusable = false;
    std::string failure;    // our own (non-network) failure, e.g. body limit
  };
  asio::awaitable<Outcome> exchange(Connection& conn, const Endpoint& ep, const HttpClientRequest& req,
                                    const HttpBodyHandler* on_body, Clock::time_point& deadline,
                                    HttpClientResponse& out);

  asio::awaitable<HttpClientResponse> run(HttpClientRequest req, const HttpBodyHandler* on_body);

  HttpClientOptions opts;
  ssl::context tls_ctx;
  std::mutex mu;
  std::vector<std::unique_ptr<Connection>> idle;
  std::atomic<std::size_t> opened{0};
};

namespace {

std::optional<asio::ip::address> ip_literal(const std::string& host) {
  error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  return addr;
}

}  // namespace

asio::awaitable<std::unique_ptr<Connection>> HttpClient::Impl::connect(const Endpoint& ep,
                                                                       Clock::time_point deadline,
                                                                       Clock::duration budget) {
  auto ex = co_await asio::this_coro::executor;
  auto cs = co_await asio::this_coro::cancellation_state;
  auto fail = [&](const std::string& what) -> std::runtime_error {
    return std::runtime_error("connect to " + ep.host_header + " " + what);
  };
  auto timed_out = [&] { return fail("timed out after " + millis_text(budget) + " ms"); };

  std::vector<tcp::endpoint> endpoints;
  if (auto addr = ip_literal(ep.host)) {
    endpoints.emplace_back(*addr, static_cast<unsigned short>(std::stoi(ep.port)));
  } else {
    auto resolver = std::make_shared<tcp::resolver>(ex);
    asio::steady_timer timer(ex, deadline);
    timer.async_wait([resolver](error_code ec) {
      if (!ec) resolver->cancel();
    });
    CancelHook hook(cs.slot(), [resolver] { resolver->cancel(); });
    auto [ec, results] = co_await resolver->async_resolve(ep.host, ep.port, asio::as_tuple(asio::use_awaitable));
    if (cs.cancelled() != asio::cancellation_type::none) throw_cancelled();
    if (ec == asio::error::operation_aborted) throw timed_out();
    if (ec) throw fail("failed: cannot resolve " + ep.host + ": " + ec.message());
    for (const auto& r : results) endpoints.push_back(r.endpoint());
  }

  auto conn = ep.tls ? std::make_unique<Connection>(ex, ep.pool_key, tls_ctx)
                     : std::make_unique<Connection>(ex, ep.pool_key);
  auto& tcp_stream = conn->tcp();
  tcp_stream.expires_at(deadline);
  auto [ec, connected] = co_await tcp_stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
  if (cs.cancelled() != asio::cancellation_type::none) throw_cancelled();
  if (ec == beast::error::timeout) throw timed_out();
  if (ec) throw fail("failed: " + ec.message());
  error_code ignored;
  tcp_stream.socket().set_option(tcp::no_delay(true), ignored);

  if (ep.tls) {
    auto& s = std::get<1>(conn->stream);
    if (!name_tls_peer(s, ep.host, opts.verify_peer)) throw fail("failed: cannot set TLS server name");
    tcp_stream.expires_at(deadline);
    auto [hec] = co_await s.async_handshake(ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
    if (cs.cancelled() != asio::cancellation_type::none) throw_cancelled();
    if (hec == beast::error::timeout) throw timed_out();
    if (hec) throw fail("failed: TLS handshake: " + hec.message());
  }
  opened.fetch_add(1);
  co_return conn;
}

namespace {

template <class Stream>
asio::awaitable<HttpClient::Impl::Outcome> exchange_on(Stream& stream, Connection& conn, const Endpoint& ep,
                                                       const HttpClientRequest& req,
                                                       const HttpBodyHandler* on_body,
                                                       Clock::time_point& deadline, HttpClientResponse& out) {
  HttpClient::Impl::Outcome result;
  auto& tcp_stream = conn.tcp();

  http::request<http::string_body> hreq;
  hreq.version(11);
  auto verb = http::string_to_verb(req.method);
  if (verb == http::verb::unknown) {
    hreq.method_string(req.method);
  } else {
    hreq.method(verb);
  }
  hreq.target(ep.target);
  hreq.set(http::field::host, ep.host_header);
  hreq.set(http::field::user_agent, "xiaozhi-server");
  for (const auto& [k, v] : req.headers) hreq.set(k, v);
  hreq.body() = req.body;
  hreq.prepare_payload();

  tcp_stream.expires_at(deadline);
  auto [wec, written] = co_await http::async_write(stream, hreq, asio::as_tuple(asio::use_awaitable));
  if (wec) {
    result.ec = wec;
    co_return result;
  }

  http::response_parser<http::buffer_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(req.max_response_bytes);
  if (verb == http::verb::head) parser.skip(true);
  tcp_stream.expires_at(deadline);
  auto [hec, hn] = co_await http::async_read_header(stream, conn.buffer, parser, asio::as_tuple(asio::use_awaitable));
  result.got_response = parser.got_some();
  if (hec == http::error::body_limit) {  // a Content-Length above the limit
    result.failure = "response body larger than " + std::to_string(req.max_response_bytes) + " bytes";
    co_return result;
  }
  if (hec) {
    result.ec = hec;
    co_return result;
  }
  const auto& head = parser.get();
  out.status = static_cast<int>(head.result_int());
  for (const auto& f : head) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));

  const bool deliver = on_body && out.ok();
  std::size_t limit = deliver || !on_body ? req.max_response_bytes : kMaxErrorBody;
  std::size_t total = 0;
  std::string chunk(kReadChunk, '\0');
  bool stopped = false;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    tcp_stream.expires_at(deadline);
    auto [ec, n] = co_await http::async_read_some(stream, conn.buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (ec == http::error::need_buffer) ec = {};
    if (ec == ssl::error::stream_truncated && parser.need_eof()) {
      parser.put_eof(ec);  // a TLS peer that ends an EOF-delimited body without close_notify
    }
    std::size_t got = chunk.size() - parser.get().body().size;
    if (got > 0) {
      total += got;
      std::string_view piece(chunk.data(), got);
      if (deliver) {
        if (total > limit) {
          result.failure = "response body larger than " + std::to_string(limit) + " bytes";
          co_return result;
        }
        auto t0 = Clock::now();
        bool go = co_await (*on_body)(piece);
        deadline += Clock::now() - t0;  // the consumer's time is not the server's
        if (!go) {
          stopped = true;
          break;
        }
      } else if (on_body) {
        // An error body of a stream: keep what fits, that is enough for a message.
        out.body.append(piece.substr(0, std::min(piece.size(), limit - std::min(limit, out.body.size()))));
        if (out.body.size() >= limit) {
          stopped = true;
          break;
        }
      } else {
        if (total > limit) {
          result.failure = "response body larger than " + std::to_string(limit) + " bytes";
          co_return result;
        }
        out.body.append(piece);
      }
    }
    if (ec == http::error::body_limit) {
      result.failure = "response body larger than " + std::to_string(req.max_response_bytes) + " bytes";
      co_return result;
    }
    if (ec) {
      result.ec = ec;
      co_return result;
    }
  }
  result.reusable = !stopped && parser.is_done() && parser.keep_alive();
  co_return result;
}

}  // namespace

asio::awaitable<HttpClient::Impl::Outcome> HttpClient::Impl::exchange(Connection& conn, const Endpoint& ep,
                                                                      const HttpClientRequest& req,
                                                                      const HttpBodyHandler* on_body,
                                                                      Clock::time_point& deadline,
                                                                      HttpClientResponse& out) {
  if (auto* plain = std::get_if<0>(&conn.stream)) {
    co_return co_await exchange_on(*plain, conn, ep, req, on_body, deadline, out);
  }
  co_return co_await exchange_on(std::get<1>(conn.stream), conn, ep, req, on_body, deadline, out);
}

asio::awaitable<HttpClientResponse> HttpClient::Impl::run(HttpClientRequest req, const HttpBodyHandler* on_body) {
  const Endpoint ep = parse_endpoint(req.url);
  auto ex = co_await asio::this_coro::executor;
  auto cs = co_await asio::this_coro::cancellation_state;
  const auto start = Clock::now();
  Clock::time_point deadline = start + req.total_timeout;
  const std::string what = "HTTP " + req.method + " " + ep.display;

  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> conn = attempt == 0 ? take(ep.pool_key, ex) : nullptr;
    const bool reused = conn != nullptr;
    if (!conn) {
      auto budget = std::min<Clock::duration>(req.connect_timeout, deadline - Clock::now());
      if (budget <= Clock::duration::zero()) {
        throw std::runtime_error(what + ": timed out after " + millis_text(req.total_timeout) + " ms");
      }
      conn = co_await connect(ep, Clock::now() + budget, budget);
    }
    HttpClientResponse out;
    auto r = co_await exchange(*conn, ep, req, on_body, deadline, out);
    if (cs.cancelled() != asio::cancellation_type::none) throw_cancelled();
    if (!r.failure.empty()) throw std::runtime_error(what + ": " + r.failure);
    if (r.ec == beast::error::timeout) {
      throw std::runtime_error(what + ": timed out after " + millis_text(req.total_timeout) + " ms");
    }
    if (r.ec) {
      // A kept-alive connection the server closed before answering: try once more, fresh.
      if (reused && !r.got_response && attempt == 0) continue;
      throw std::runtime_error(what + ": " + r.ec.message());
    }
    if (r.reusable) put(std::move(conn));
    co_return out;
  }
}

std::string HttpClientResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

HttpClient::HttpClient(HttpClientOptions opts) : impl_(std::make_shared<Impl>(std::move(opts))) {}
HttpClient::~HttpClient() = default;

asio::awaitable<HttpClientResponse> HttpClient::request(HttpClientRequest req) {
  auto impl = impl_;
  co_return co_await impl->run(std::move(req), nullptr);
}

asio::awaitable<HttpClientResponse> HttpClient::stream(HttpClientRequest req, HttpBodyHandler on_body) {
  auto impl = impl_;
  auto handler = std::move(on_body);
  if (!handler) throw std::invalid_argument("HttpClient::stream needs a body handler");
  co_return co_await impl->run(std::move(req), &handler);
}

std::size_t HttpClient::connections_opened() const { return impl_->opened.load(); }

std::size_t HttpClient::idle_connections() const {
  std::lock_guard lk(impl_->mu);
  return impl_->idle.size();
}

}  // namespace xz::net
