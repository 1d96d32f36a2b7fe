#include "support/fake_edge_tts.h"

#include <openssl/sha.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/url/parse.hpp>

#include "support/self_signed.h"
#include "audio/resampler.h"
#include "support/encoded_audio.h"
#include "support/speech.h"

namespace xz::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;
template <class T = void>
using Task = asio::awaitable<T>;

namespace {

constexpr std::string_view kPath = "/consumer/speech/synthesize/readaloud/edge/v1";
constexpr std::string_view kToken = "6A5AA1D4EAFF4E9FB37E23D68491D6F4";

// The token for a 5-minute window, computed here from the spec's definition (not with
// the client's code, which it checks).
std::string gec_for(long long unix_seconds) {
  long long windows = unix_seconds + 11644473600LL;
  windows -= windows % 300;
  const std::string input = std::to_string(windows) + "0000000" + std::string(kToken);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  std::string hex;
  char buf[3];
  for (unsigned char b : digest) {
    std::snprintf(buf, sizeof buf, "%02X", b);
    hex += buf;
  }
  return hex;
}

std::string http_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

bool is_hex(std::string_view s, std::size_t n) {
  if (s.size() != n) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string between(std::string_view s, std::string_view open, std::string_view close) {
  auto a = s.find(open);
  if (a == std::string_view::npos) return {};
  a += open.size();
  auto b = s.find(close, a);
  return b == std::string_view::npos ? std::string() : std::string(s.substr(a, b - a));
}

std::string xml_unescape(std::string s) {
  for (auto [from, to] : {std::pair{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}}) {
    for (std::size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += std::string_view(to).size())
      s.replace(at, std::string_view(from).size(), to);
  }
  return s;
}

std::string header_value(std::string_view frame, std::string_view name) {
  const auto end = frame.find("\r\n\r\n");
  std::string_view head = frame.substr(0, end);
  const std::string key = std::string(name) + ":";
  for (std::size_t at = 0; at < head.size();) {
    auto eol = head.find("\r\n", at);
    auto line = head.substr(at, eol == std::string_view::npos ? std::string_view::npos : eol - at);
    if (line.starts_with(key)) return std::string(line.substr(key.size()));
    if (eol == std::string_view::npos) break;
    at = eol + 2;
  }
  return {};
}

std::string text_frame(const std::string& request_id, std::string_view path, std::string_view body) {
  return "X-RequestId:" + request_id + "\r\nContent-Type:application/json; charset=utf-8\r\nPath:" +
         std::string(path) + "\r\n\r\n" + std::string(body);
}

std::string audio_frame(const std::string& request_id, std::string_view audio, bool with_type) {
  std::string head = "X-RequestId:" + request_id + "\r\n" + (with_type ? "Content-Type:audio/mpeg\r\n" : "") +
                     "X-StreamId:FEDCBA9876543210FEDCBA9876543210\r\nPath:audio\r\n";
  std::string out;
  out += static_cast<char>(head.size() >> 8);
  out += static_cast<char>(head.size() & 0xFF);
  out += head;
  out += audio;
  return out;
}

Task<void> sleep(std::chrono::milliseconds d) {
  if (d.count() <= 0) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace

struct FakeEdgeTts::Impl {
  FakeEdgeOptions opts;
  SelfSigned cert;
  std::string ca_path;
  std::optional<ssl::context> tls_ctx;
  std::uint16_t port = 0;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::optional<std::string> audio;
  std::size_t chunk_bytes = 2048;
  std::chrono::milliseconds interval{0};
  FakeEdgeFault next_fault = FakeEdgeFault::none;
  int fault_connections = 0;
  std::vector<FakeEdgeRequest> requests;
  std::size_t refused = 0;
  std::size_t closed = 0;
  std::optional<Clock::time_point> first_sent, last_sent;
  std::atomic<int> accepted{0};

  std::unique_ptr<asio::io_context> io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;

  FakeEdgeFault take_fault() {
    std::lock_guard lk(mu);
    if (fault_connections <= 0) return FakeEdgeFault::none;
    --fault_connections;
    return next_fault;
  }
  void note_closed() {
    {
      std::lock_guard lk(mu);
      ++closed;
    }
    cv.notify_all();
  }
};

namespace {

using Impl = FakeEdgeTts::Impl;
using Request = http::request<http::string_body>;

// Why the upgrade is refused with 400, or "" when it is Edge's.
std::string check_upgrade(const Request& req, std::map<std::string, std::string>& query) {
  auto u = boost::urls::parse_origin_form(req.target());
  if (!u) return "bad target";
  if (u->path() != kPath) return "wrong path " + std::string(u->path());
  for (auto p : u->params()) query[std::string(p.key)] = std::string(p.value);
  if (query["TrustedClientToken"] != kToken) return "wrong TrustedClientToken";
  if (!is_hex(query["ConnectionId"], 32)) return "ConnectionId is not 32 hex digits";
  if (query["Sec-MS-GEC-Version"].empty()) return "no Sec-MS-GEC-Version";
  if (!is_hex(query["Sec-MS-GEC"], 64)) return "Sec-MS-GEC is not 64 hex digits";
  if (req[http::field::origin] != "chrome-extension://jdiccldimpdaibmpdkjnbmckianbfold") return "wrong Origin";
  return {};
}

// The SSML of one request, checked as Edge would; "" when it is fine.
std::string read_ssml(const std::string& frame, FakeEdgeRequest& rec) {
  if (header_value(frame, "Path") != "ssml") return "second message is not Path:ssml";
  if (header_value(frame, "Content-Type") != "application/ssml+xml") return "ssml without its Content-Type";
  if (!is_hex(header_value(frame, "X-RequestId"), 32)) return "ssml without a 32-hex X-RequestId";
  if (!header_value(frame, "X-Timestamp").ends_with("Z")) return "ssml X-Timestamp without Edge's 'Z'";
  const auto body = std::string_view(frame).substr(frame.find("\r\n\r\n") + 4);
  if (!body.starts_with("<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis' xml:lang='en-US'>"))
    return "not Edge's <speak> element";
  rec.voice = between(body, "<voice name='", "'>");
  rec.pitch = between(body, "pitch='", "'");
  rec.rate = between(body, "rate='", "'");
  rec.volume = between(body, "volume='", "'");
  const auto prosody = body.find("<prosody ");
  const auto open_end = prosody == std::string_view::npos ? prosody : body.find('>', prosody);
  const auto close = body.find("</prosody></voice></speak>");
  if (open_end == std::string_view::npos || close == std::string_view::npos || close < open_end)
    return "no <prosody> element";
  rec.text = xml_unescape(std::string(body.substr(open_end + 1, close - open_end - 1)));
  if (rec.voice.empty() || rec.pitch.empty() || rec.rate.empty() || rec.volume.empty()) return "incomplete SSML";
  return {};
}

template <class Ws>
Task<bool> write(Ws& ws, bool binary, std::string data) {
  ws.binary(binary);
  auto [ec, n] = co_await ws.async_write(asio::buffer(data), asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

// Reads until the client closes or leaves.
template <class Ws>
Task<void> drain(Ws& ws) {
  for (;;) {
    beast::flat_buffer buf;
    auto [ec, n] = co_await ws.async_read(buf, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

template <class Ws>
Task<void> answer(Impl* self, Ws& ws, const std::string& id, const std::string& text, FakeEdgeFault fault) {
  const std::string tag = "0123456789abcdef0123456789abcdef";
  if (!co_await write(ws, false, text_frame(id, "turn.start", R"({"context":{"serviceTag":")" + tag + R"("}})")))
    co_return;
  if (fault == FakeEdgeFault::stall) co_return co_await drain(ws);
  if (fault == FakeEdgeFault::unknown_path && !co_await write(ws, false, text_frame(id, "turn.fancy", "{}"))) co_return;
  if (!co_await write(ws, false,
                      text_frame(id, "response",
                                 R"({"context":{"serviceTag":")" + tag +
                                     R"("},"audio":{"type":"inline","streamId":"FEDCBA9876543210FEDCBA9876543210"}})")))
    co_return;

  std::string mp3;
  std::size_t chunk;
  std::chrono::milliseconds interval;
  {
    std::lock_guard lk(self->mu);
    if (self->audio) mp3 = *self->audio;
    chunk = std::max<std::size_t>(1, self->chunk_bytes);
    interval = self->interval;
  }
  if (fault == FakeEdgeFault::garbage_audio) {
    mp3.clear();
    while (mp3.size() < 4096) mp3 += "this is not an mp3 frame, only text. ";
  } else if (mp3.empty() && fault != FakeEdgeFault::no_audio) {
    // As Edge streams it: 24 kHz mono, 48 kbit/s CBR, no tag frame.
    mp3 = encode_mp3(audio::resample_once(flite_speech(text), 16000, 24000), 24000, 1, 48, false);
  }
  if (fault == FakeEdgeFault::no_audio) mp3.clear();

  const std::size_t frames = (mp3.size() + chunk - 1) / chunk;
  for (std::size_t i = 0; i < frames; ++i) {
    if (i > 0) co_await sleep(interval);
    if (fault == FakeEdgeFault::close_before_turn_end && i == frames / 2) {
      error_code ignored;
      beast::get_lowest_layer(ws).socket().close(ignored);
      co_return;
    }
    if (!co_await write(ws, true, audio_frame(id, std::string_view(mp3).substr(i * chunk, chunk), true))) co_return;
    std::lock_guard lk(self->mu);
    if (i == 0) self->first_sent = Clock::now();
    self->last_sent = Clock::now();
  }
  const std::string metadata =
      R"({"Metadata":[{"Type":"SentenceBoundary","Data":{"Offset":1000000,"Duration":8750000,"text":{"Text":")" +
      std::string("sentence") + R"(","Length":8,"BoundaryType":"SentenceBoundary"}}}]})";
  if (!co_await write(ws, false, text_frame(id, "audio.metadata", metadata))) co_return;
  if (!co_await write(ws, true, audio_frame(id, {}, false))) co_return;
  if (!co_await write(ws, false, text_frame(id, "turn.end", "{}"))) co_return;
  co_await drain(ws);
}

template <class Ws>
Task<void> serve(Impl* self, Ws& ws, int connection) {
  beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(30));
  beast::flat_buffer buf;
  Request req;
  auto [rec_ec, rn] = co_await http::async_read(ws.next_layer(), buf, req, asio::as_tuple(asio::use_awaitable));
  if (rec_ec) co_return;
  beast::get_lowest_layer(ws).expires_never();

  FakeEdgeRequest rec;
  rec.connection = connection;
  for (const auto& f : req) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    rec.headers[name] = std::string(f.value());
  }
  const std::string bad = check_upgrade(req, rec.query);
  const FakeEdgeFault fault = self->take_fault();
  const std::time_t now = std::time(nullptr) + self->opts.clock_offset.count();
  const std::string& gec = rec.query["Sec-MS-GEC"];
  const bool token_ok = gec == gec_for(now) || gec == gec_for(now - 300);
  if (!bad.empty() || !token_ok || fault == FakeEdgeFault::forbidden) {
    http::response<http::string_body> res{bad.empty() ? http::status::forbidden : http::status::bad_request, 11};
    res.set(http::field::date, http_date(now));
    res.set(http::field::content_type, "text/plain");
    res.body() = bad.empty() ? "Forbidden" : bad;
    res.keep_alive(false);
    res.prepare_payload();
    co_await http::async_write(ws.next_layer(), res, asio::as_tuple(asio::use_awaitable));
    {
      std::lock_guard lk(self->mu);
      if (bad.empty()) ++self->refused;
      self->requests.push_back(std::move(rec));
    }
    self->note_closed();
    co_return;
  }
  auto [aec] = co_await ws.async_accept(req, asio::as_tuple(asio::use_awaitable));
  if (aec) co_return;

  std::string frames[2];
  for (auto& f : frames) {
    beast::flat_buffer fb;
    auto [ec, n] = co_await ws.async_read(fb, asio::as_tuple(asio::use_awaitable));
    if (ec || !ws.got_text()) {
      self->note_closed();
      co_return;
    }
    f = beast::buffers_to_string(fb.data());
  }
  rec.speech_config = frames[0];
  rec.ssml = frames[1];
  std::string why;
  if (header_value(frames[0], "Path") != "speech.config" ||
      frames[0].find("\"outputFormat\":\"audio-24khz-48kbitrate-mono-mp3\"") == std::string::npos)
    why = "first message is not Edge's speech.config";
  if (why.empty()) why = read_ssml(frames[1], rec);
  const std::string id = header_value(frames[1], "X-RequestId");
  const std::string text = rec.text;
  {
    std::lock_guard lk(self->mu);
    self->requests.push_back(std::move(rec));
  }
  self->cv.notify_all();
  if (!why.empty()) {
    co_await ws.async_close(websocket::close_reason(websocket::close_code::policy_error, why),
                            asio::as_tuple(asio::use_awaitable));
  } else {
    co_await answer(self, ws, id, text, fault);
  }
  self->note_closed();
}

Task<void> serve_connection(Impl* self, tcp::socket socket, int connection) {
  if (self->tls_ctx) {
    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(std::move(socket), *self->tls_ctx);
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(30));
    auto [ec] = co_await ws.next_layer().async_handshake(ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    co_await serve(self, ws, connection);
  } else {
    websocket::stream<beast::tcp_stream> ws(std::move(socket));
    co_await serve(self, ws, connection);
  }
}

Task<void> accept_loop(Impl* self) {
  for (;;) {
    auto [ec, socket] = co_await self->acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    const int connection = self->accepted.fetch_add(1) + 1;
    asio::co_spawn(*self->io, serve_connection(self, std::move(socket), connection), asio::detached);
  }
}

}  // namespace

FakeEdgeTts::FakeEdgeTts(FakeEdgeOptions opts) : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  s.opts = opts;
  if (opts.tls) {
    s.cert = make_self_signed();
    s.tls_ctx.emplace(ssl::context::tls_server);
    s.tls_ctx->use_certificate_chain(asio::buffer(s.cert.cert_pem));
    s.tls_ctx->use_private_key(asio::buffer(s.cert.key_pem), ssl::context::pem);
  }
  s.io = std::make_unique<asio::io_context>(1);
  s.acceptor = std::make_unique<tcp::acceptor>(*s.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  s.port = s.acceptor->local_endpoint().port();
  if (opts.tls) {
    s.ca_path = (std::filesystem::temp_directory_path() / ("xz-fake-edge-" + std::to_string(s.port) + ".pem")).string();
    std::ofstream(s.ca_path) << s.cert.cert_pem;
  }
  asio::co_spawn(*s.io, accept_loop(&s), asio::detached);
  s.thread = std::thread([io = s.io.get()] { io->run(); });
}

FakeEdgeTts::~FakeEdgeTts() {
  auto& s = *impl_;
  s.io->stop();
  s.thread.join();
  s.acceptor.reset();
  s.io.reset();
  if (!s.ca_path.empty()) {
    std::error_code ignored;
    std::filesystem::remove(s.ca_path, ignored);
  }
}

std::string FakeEdgeTts::url() const {
  return std::string(impl_->opts.tls ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(impl_->port) +
         std::string(kPath);
}
const std::string& FakeEdgeTts::ca_pem() const { return impl_->cert.cert_pem; }
std::string FakeEdgeTts::ca_file() const { return impl_->ca_path; }

void FakeEdgeTts::set_audio(std::string mp3) {
  std::lock_guard lk(impl_->mu);
  impl_->audio = std::move(mp3);
}
void FakeEdgeTts::set_chunking(std::size_t bytes, std::chrono::milliseconds interval) {
  std::lock_guard lk(impl_->mu);
  impl_->chunk_bytes = bytes;
  impl_->interval = interval;
}
void FakeEdgeTts::fail_next(FakeEdgeFault fault, int connections) {
  std::lock_guard lk(impl_->mu);
  impl_->next_fault = fault;
  impl_->fault_connections = connections;
}
std::vector<FakeEdgeRequest> FakeEdgeTts::requests() const {
  std::lock_guard lk(impl_->mu);
  return impl_->requests;
}
std::size_t FakeEdgeTts::upgrades_refused() const {
  std::lock_guard lk(impl_->mu);
  return impl_->refused;
}
std::optional<Clock::time_point> FakeEdgeTts::first_audio_sent() const {
  std::lock_guard lk(impl_->mu);
  return impl_->first_sent;
}
std::optional<Clock::time_point> FakeEdgeTts::last_audio_sent() const {
  std::lock_guard lk(impl_->mu);
  return impl_->last_sent;
}
bool FakeEdgeTts::wait_for_closed_connections(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->closed >= n; });
}

}  // namespace xz::test
