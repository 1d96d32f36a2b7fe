#include "providers/asr/ws_asr_session.h"

#include <cstring>
#include <deque>
#include <optional>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <fmt/format.h>

#include "providers/tts/vendor_socket.h"

namespace xz::providers {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

struct Core : std::enable_shared_from_this<Core> {
  Core(asio::any_io_executor e, WsAsrOptions o, std::unique_ptr<AsrWireCodec> c)
      : ex(std::move(e)), opts(std::move(o)), codec(std::move(c)), wake(ex, Clock::time_point::max()) {}

  asio::any_io_executor ex;
  WsAsrOptions opts;
  std::unique_ptr<AsrWireCodec> codec;
  std::shared_ptr<net::WebSocket> ws;
  bool flowing = false;  // the vendor accepted: audio goes out as it comes
  std::deque<std::string> pending;
  std::size_t pending_bytes = 0;
  bool finish_requested = false;
  bool finish_sent = false;
  bool finished = false;  // the vendor's final answer arrived
  bool cancelled = false;
  std::optional<std::string> error;
  std::string transcript;
  AsrPartialSink sink;
  asio::steady_timer wake;  // finish() sleeps on it

  bool over() const { return finished || cancelled || error.has_value(); }

  void send(std::vector<WsOut> frames) {
    if (!ws) return;
    for (auto& f : frames) {
      // A full send queue closes the socket; the reader then reports the drop.
      if (f.binary)
        ws->send_binary(std::move(f.data));
      else
        ws->send_text(std::move(f.data));
    }
  }

  void fail(std::string why) {
    if (over()) return;
    error = std::move(why);
    pending.clear();
    pending_bytes = 0;
    if (ws) ws->abort();
    wake.cancel();
  }

  // The vendor accepted: what waited goes out, then the end of audio if it was asked for.
  void flow() {
    if (flowing || over()) return;
    flowing = true;
    for (auto& pcm : pending) send(codec->audio(pcm));
    pending.clear();
    pending_bytes = 0;
    if (finish_requested) send_finish();
  }

  void send_finish() {
    if (finish_sent) return;
    finish_sent = true;
    send(codec->finish());
  }

  void handle(AsrWireEvent ev) {
    if (over()) return;
    switch (ev.kind) {
      case AsrWireEvent::Kind::none:
        break;
      case AsrWireEvent::Kind::ready:
        flow();
        break;
      case AsrWireEvent::Kind::partial:
        if (sink && !ev.text.empty()) sink(transcript + ev.text);
        break;
      case AsrWireEvent::Kind::sentence:
        if (transcript.size() + ev.text.size() > kMaxTranscriptBytes) {
          fail(fmt::format("the transcript grew past {} bytes", kMaxTranscriptBytes));
          break;
        }
        transcript += ev.text;
        if (sink && !ev.text.empty()) sink(transcript);
        break;
      case AsrWireEvent::Kind::finished:
        finished = true;
        pending.clear();
        if (ws) ws->close();
        wake.cancel();
        break;
      case AsrWireEvent::Kind::failed:
        fail(ev.text.empty() ? std::string("the vendor reported an error") : std::move(ev.text));
        break;
    }
  }

  void cancel() {
    if (over()) {
      if (ws) ws->close();
      return;
    }
    cancelled = true;
    pending.clear();
    pending_bytes = 0;
    if (ws) {
      send(codec->cancel());
      ws->close();
    }
    wake.cancel();
  }
};

std::string handshake_message(const net::WsHandshakeError& e) {
  std::string out = fmt::format("the vendor refused the connection with HTTP {}", e.status);
  // Volcengine names the fault in headers; others in a status line only.
  for (const char* h : {"x-api-status-code", "x-api-message", "x-nls-error", "x-tt-logid"}) {
    auto it = e.headers.find(h);
    if (it != e.headers.end() && !it->second.empty()) out += fmt::format(" {}={}", h, it->second.substr(0, 200));
  }
  // Xunfei and DashScope explain a refused key or signature in the body.
  if (!e.body.empty()) out += ": " + e.body.substr(0, 300);
  return out;
}

asio::awaitable<void> run(std::shared_ptr<Core> core) {
  try {
    DuplexTarget target = co_await core->codec->target();
    if (core->over()) co_return;
    net::WsClientOptions o;
    o.headers = std::move(target.headers);
    o.tls_context = core->opts.tls;
    o.max_message_bytes = core->opts.max_message_bytes;
    auto ws = co_await connect_vendor(std::move(target.url), std::move(o), core->opts.timeout);
    if (core->over()) {
      ws->close();  // nothing was started on it
      co_return;
    }
    core->ws = ws;
    core->send(core->codec->start());
    if (!core->codec->audio_waits_for_ready()) core->flow();
    while (!core->over()) {
      auto m = co_await ws->read();
      if (!m) {
        core->fail(ws->last_read_error() == net::WsReadError::protocol
                       ? "WebSocket protocol error before the final answer"
                       : "the connection closed before the final answer");
        break;
      }
      if (m->oversize) {
        core->fail(fmt::format("a message of {} bytes, over the {} byte limit", m->size, core->opts.max_message_bytes));
        break;
      }
      std::vector<AsrWireEvent> events;
      try {
        events = core->codec->parse(*m);
      } catch (const std::exception& e) {
        core->fail(std::string("malformed message: ") + e.what());
        break;
      }
      for (auto& ev : events) core->handle(std::move(ev));
    }
  } catch (const net::WsHandshakeError& e) {
    core->fail(handshake_message(e));
  } catch (const std::exception& e) {
    core->fail(std::string("cannot connect: ") + e.what());
  }
}

class WsAsrStream : public AsrStream {
 public:
  explicit WsAsrStream(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  ~WsAsrStream() override { core_->cancel(); }

  void on_partial(AsrPartialSink sink) override { core_->sink = std::move(sink); }

  asio::awaitable<void> push(std::vector<std::int16_t> pcm) override {
    auto& c = *core_;
    if (c.over() || c.finish_requested || pcm.empty()) co_return;
    std::string bytes(pcm.size() * 2, '\0');
    for (std::size_t i = 0; i < pcm.size(); ++i) {  // s16le whatever the host
      const auto v = static_cast<std::uint16_t>(pcm[i]);
      bytes[2 * i] = static_cast<char>(v & 0xFF);
      bytes[2 * i + 1] = static_cast<char>(v >> 8);
    }
    if (c.flowing) {
      c.send(c.codec->audio(bytes));
      co_return;
    }
    c.pending_bytes += bytes.size();
    if (c.pending_bytes > kMaxPendingAudioBytes) {
      c.fail(fmt::format("more than {} bytes of audio waited for the vendor to accept the session",
                         kMaxPendingAudioBytes));
      co_return;
    }
    c.pending.push_back(std::move(bytes));
  }

  asio::awaitable<AsrResult> finish() override {
    auto& c = *core_;
    c.finish_requested = true;
    if (!c.over() && c.flowing) c.send_finish();
    const auto deadline = Clock::now() + c.opts.timeout;
    while (!c.over()) {
      if (Clock::now() >= deadline) {
        c.fail(fmt::format("no final answer {} ms after the end of audio", c.opts.timeout.count()));
        break;
      }
      c.wake.expires_at(deadline);
      auto [ec] = co_await c.wake.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted && !c.over()) {
        auto cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none)
          throw boost::system::system_error(asio::error::operation_aborted);
      }
    }
    if (c.error) throw std::runtime_error(c.opts.engine + ": " + *c.error);
    AsrResult r;
    r.text = c.transcript;
    co_return r;
  }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<AsrStream> open_ws_asr_stream(asio::any_io_executor ex, const WsAsrOptions& opts,
                                              std::unique_ptr<AsrWireCodec> codec) {
  auto core = std::make_shared<Core>(ex, opts, std::move(codec));
  asio::co_spawn(ex, run(core), asio::detached);
  return std::make_unique<WsAsrStream>(std::move(core));
}

}  // namespace xz::providers
