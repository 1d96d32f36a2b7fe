#include "providers/tts/ws_duplex_link.h"

#include <deque>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "core/async.h"
#include "protocol/encoding.h"

namespace xz::providers {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// Past WsDuplexLink::kMaxQueuedAudioBytes undelivered, the reader stops reading (TCP
// back-pressure on the vendor).
constexpr std::size_t kMaxQueuedAudioBytes = WsDuplexLink::kMaxQueuedAudioBytes;
// Text waiting for the vendor session to open (or for its `started`); more is dropped.
constexpr std::size_t kMaxPendingTextBytes = 256u * 1024;

struct Conn {
  explicit Conn(asio::any_io_executor ex) : idle(std::move(ex), Clock::time_point::max()) {}
  std::shared_ptr<net::WebSocket> ws;
  std::string session;  // the session it serves, or served last
  bool busy = false;    // a session is open on it, until the vendor confirms its end
  bool dead = false;
  Clock::time_point last_activity = Clock::now();
  asio::steady_timer idle;  // wakes the idle watcher
};

struct StreamState {
  explicit StreamState(const asio::any_io_executor& ex)
      : wake(ex, Clock::time_point::max()), room(ex, Clock::time_point::max()) {}
  std::string session;
  std::deque<std::string> texts;
  std::size_t text_bytes = 0;
  bool finish_requested = false;
  bool finish_sent = false;
  bool opened = false;   // the start was sent on `conn`
  bool started = false;  // the vendor's `started` arrived
  bool cancelled = false;
  bool ended = false;    // no more events wanted
  const Conn* conn = nullptr;
  std::deque<DuplexEvent> events;
  std::size_t queued_audio = 0;
  asio::steady_timer wake;  // run() sleeps on it
  asio::steady_timer room;  // the reader sleeps on it while the audio queue is full

  void abandon() {
    ended = true;
    events.clear();
    queued_audio = 0;
    room.cancel();
    wake.cancel();
  }
};

}  // namespace

std::string random_hex_id() { return protocol::hex_encode(protocol::random_bytes(16)); }

std::string random_uuid() {
  std::string b = protocol::random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);
  const std::string h = protocol::hex_encode(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

struct WsDuplexLink::Core : std::enable_shared_from_this<WsDuplexLink::Core> {
  Core(asio::any_io_executor e, DuplexOptions o, std::unique_ptr<DuplexProtocol> p)
      : ex(std::move(e)), opts(std::move(o)), protocol(std::move(p)) {}

  asio::any_io_executor ex;
  DuplexOptions opts;
  std::unique_ptr<DuplexProtocol> protocol;
  std::shared_ptr<Conn> conn;
  std::shared_ptr<StreamState> current;  // the reply whose session is open on `conn`
  std::size_t opened = 0;
  bool shut = false;

  std::string named(std::string_view what) const { return opts.engine + ": " + std::string(what); }

  void send(Conn& c, std::vector<WsOut> frames) {
    if (c.dead) return;
    for (auto& f : frames) {
      // A full send queue closes the socket; the reader then reports the drop.
      if (f.binary)
        c.ws->send_binary(std::move(f.data));
      else
        c.ws->send_text(std::move(f.data));
    }
  }

  void close(const std::shared_ptr<Conn>& c, bool polite) {
    if (c->dead) return;
    if (polite) send(*c, protocol->goodbye());
    c->dead = true;
    c->ws->close();
    c->idle.cancel();
    if (conn == c) conn.reset();
  }

  // The session on c ended (the vendor said so): c may serve the next reply.
  void release(const std::shared_ptr<Conn>& c, const std::shared_ptr<StreamState>& st) {
    if (current == st) current.reset();
    c->busy = false;
    c->last_activity = Clock::now();
    if (opts.reuse_idle.count() <= 0 || shut)
      close(c, true);
    else
      c->idle.cancel();  // the watcher re-arms for the idle bound
  }

  asio::awaitable<std::shared_ptr<Conn>> acquire();
};

namespace {

using Core = WsDuplexLink::Core;

// Hands one vendor message to the reply it belongs to; false when the connection is done.
asio::awaitable<bool> deliver(const std::shared_ptr<Core>& core, const std::shared_ptr<Conn>& conn, DuplexEvent ev) {
  if (ev.kind == DuplexEvent::Kind::none) co_return true;
  const std::string sid = ev.session.empty() ? conn->session : ev.session;
  auto st = core->current;
  const bool mine = st && !st->ended && st->conn == conn.get() && st->session == sid;
  const bool closes = ev.close_connection || ev.kind == DuplexEvent::Kind::closed;
  if (!mine) {
    // Late messages of a cancelled reply are dropped; its end frees the connection.
    if ((ev.kind == DuplexEvent::Kind::finished || ev.kind == DuplexEvent::Kind::failed) && sid == conn->session &&
        conn->busy && !(st && st->conn == conn.get())) {
      conn->busy = false;
      conn->idle.cancel();
    }
    if (closes) {
      core->close(conn, false);
      co_return false;
    }
    co_return true;
  }
  if (ev.kind == DuplexEvent::Kind::audio) {
    while (st->queued_audio > kMaxQueuedAudioBytes && !st->ended) {
      st->room.expires_at(Clock::time_point::max());
      co_await st->room.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (st->ended) co_return true;
    st->queued_audio += ev.audio.size();
  }
  st->events.push_back(std::move(ev));
  st->wake.cancel();
  if (closes) {
    // run() reports it; nothing more is read from this connection.
    conn->dead = true;
    conn->ws->close();
    conn->idle.cancel();
    if (core->conn == conn) core->conn.reset();
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> read_loop(std::shared_ptr<Core> core, std::shared_ptr<Conn> conn) {
  for (bool open = true; open;) {
    auto m = co_await conn->ws->read();
    if (!m) break;
    std::vector<DuplexEvent> events;
    if (m->oversize) {
      DuplexEvent ev;
      ev.kind = DuplexEvent::Kind::failed;
      ev.text = fmt::format("a message of {} bytes, over the {} byte limit", m->size, core->opts.max_message_bytes);
      ev.close_connection = true;
      events.push_back(std::move(ev));
    } else {
      try {
        events = core->protocol->parse(*m);
      } catch (const std::exception& e) {
        DuplexEvent ev;
        ev.kind = DuplexEvent::Kind::failed;
        ev.text = std::string("malformed message: ") + e.what();
        ev.close_connection = true;
        events = {std::move(ev)};
      }
    }
    conn->last_activity = Clock::now();
    for (auto& ev : events) {
      if (!co_await deliver(core, conn, std::move(ev))) {
        open = false;
        break;
      }
    }
  }
  const bool ours = conn->dead;  // closed on purpose, or already reported
  conn->dead = true;
  conn->idle.cancel();
  if (core->conn == conn) core->conn.reset();
  auto st = core->current;
  if (!ours && st && !st->ended && st->conn == conn.get()) {
    DuplexEvent ev;
    ev.kind = DuplexEvent::Kind::closed;
    ev.text = "the connection dropped mid-reply";
    st->events.push_back(std::move(ev));
    st->wake.cancel();
  }
}

// Closes the connection once it has been idle for the engine's bound (an open reply
// holds it; a reply being cancelled does not).
asio::awaitable<void> watch_idle(std::shared_ptr<Core> core, std::shared_ptr<Conn> conn) {
  while (!conn->dead) {
    const bool serving = core->current && core->current->conn == conn.get() && !core->current->ended;
    conn->idle.expires_at(serving ? Clock::time_point::max() : conn->last_activity + core->opts.reuse_idle);
    co_await conn->idle.async_wait(asio::as_tuple(asio::use_awaitable));
    if (conn->dead) break;
    const bool still_serving = core->current && core->current->conn == conn.get() && !core->current->ended;
    if (!still_serving && Clock::now() >= conn->last_activity + core->opts.reuse_idle) core->close(conn, !conn->busy);
  }
}

}  // namespace

asio::awaitable<std::shared_ptr<Conn>> Core::acquire() {
  auto self = shared_from_this();
  if (conn && !conn->dead && !conn->busy && opts.reuse_idle.count() > 0 &&
      Clock::now() - conn->last_activity < opts.reuse_idle)
    co_return conn;
  // A connection still cancelling the last reply, or idle too long: a new one, as the
  // reference does.
  if (conn) close(conn, !conn->busy);
  DuplexTarget target = co_await protocol->target();
  net::WsClientOptions o;
  o.headers = std::move(target.headers);
  o.tls_context = opts.tls;
  o.max_message_bytes = opts.max_message_bytes;
  auto ws = co_await core::with_timeout(net::ws_connect(std::move(target.url), std::move(o)), opts.timeout);
  if (!ws) throw TtsStreamError(named(fmt::format("no connection within {} ms", opts.timeout.count())));
  auto c = std::make_shared<Conn>(ex);
  c->ws = std::move(*ws);
  ++opened;
  asio::co_spawn(ex, read_loop(self, c), asio::detached);
  if (shut) {
    close(c, true);
    co_return c;
  }
  if (conn) close(conn, !conn->busy);
  conn = c;
  if (opts.reuse_idle.count() > 0) asio::co_spawn(ex, watch_idle(self, c), asio::detached);
  co_return c;
}

namespace {

class WsDuplexStream : public TtsStream {
 public:
  explicit WsDuplexStream(std::shared_ptr<Core> core)
      : core_(std::move(core)), st_(std::make_shared<StreamState>(core_->ex)) {
    st_->session = random_hex_id();
  }
  ~WsDuplexStream() override { cancel(); }

  void push_text(std::string fragment) override {
    auto& st = *st_;
    if (fragment.empty() || st.finish_requested || st.cancelled || st.ended) return;
    if (st.text_bytes + fragment.size() > kMaxPendingTextBytes) return;
    st.text_bytes += fragment.size();
    st.texts.push_back(std::move(fragment));
    st.wake.cancel();
  }

  void finish() override {
    st_->finish_requested = true;
    st_->wake.cancel();
  }

  void cancel() override {
    auto& st = *st_;
    if (st.cancelled) return;
    st.cancelled = true;
    const bool tell = st.opened && !st.ended;
    st.abandon();
    if (core_->current == st_) core_->current.reset();
    if (!tell) return;
    auto conn = core_->conn;
    if (!conn || conn.get() != st.conn || conn->dead) return;
    auto frames = core_->protocol->cancel(st.session);
    if (frames.empty())
      core_->close(conn, true);
    else
      core_->send(*conn, std::move(frames));  // busy until the vendor confirms the end
  }

  asio::awaitable<void> run(TtsStreamEvents events) override {
    auto st = st_;
    auto core = core_;
    while (st->texts.empty() && !st->finish_requested && !st->cancelled) co_await sleep(*st, Clock::time_point::max());
    if (st->cancelled) co_return;
    if (st->texts.empty()) {  // finished without a word: no vendor session at all
      st->ended = true;
      co_return;
    }

    std::shared_ptr<Conn> conn;
    try {
      conn = co_await core->acquire();
    } catch (const TtsStreamError&) {
      st->ended = true;
      throw;
    } catch (const boost::system::system_error& e) {
      st->ended = true;
      if (e.code() == asio::error::operation_aborted) throw;
      throw TtsStreamError(core->named(std::string("cannot connect: ") + e.what()));
    } catch (const std::exception& e) {
      st->ended = true;
      throw TtsStreamError(core->named(std::string("cannot connect: ") + e.what()));
    }
    if (st->cancelled) co_return;  // the connection stays for the next reply
    if (conn->dead) {
      st->ended = true;
      throw TtsStreamError(core->named("the connection closed at once"));
    }
    core->current = st;
    st->conn = conn.get();
    st->opened = true;
    conn->session = st->session;
    conn->busy = true;
    conn->idle.cancel();
    core->send(*conn, core->protocol->start(st->session));

    // The vendor owes us something once we finished (or while it has not accepted the
    // session we wait on): no message for `timeout` then is a stall. Before that, a
    // quiet vendor may simply be waiting for more text from a slow LLM.
    Clock::time_point last = Clock::now();
    std::string carry;
    for (;;) {
      if (st->cancelled) co_return;
      if (!core->opts.text_after_started || st->started) {
        while (!st->texts.empty()) {
          core->send(*conn, core->protocol->text(st->session, st->texts.front()));
          st->texts.pop_front();
        }
        st->text_bytes = 0;
        if (st->finish_requested && !st->finish_sent) {
          core->send(*conn, core->protocol->finish(st->session));
          st->finish_sent = true;
          last = Clock::now();
        }
      }
      if (st->events.empty()) {
        const bool owed = st->finish_sent || (core->opts.text_after_started && !st->started);
        const auto deadline = owed ? last + core->opts.timeout : Clock::time_point::max();
        co_await sleep(*st, deadline);
        if (st->cancelled) co_return;
        if (st->events.empty() && Clock::now() >= deadline) {
          st->ended = true;
          if (core->current == st) core->current.reset();
          core->close(conn, false);
          throw TtsStreamError(core->named(fmt::format("no answer for {} ms", core->opts.timeout.count())));
        }
        continue;
      }
      DuplexEvent ev = std::move(st->events.front());
      st->events.pop_front();
      last = Clock::now();
      switch (ev.kind) {
        case DuplexEvent::Kind::started:
          st->started = true;
          break;
        case DuplexEvent::Kind::audio: {
          st->queued_audio -= std::min(st->queued_audio, ev.audio.size());
          st->room.cancel();
          PcmChunk chunk = samples_of(carry, ev);
          if (chunk.samples.empty()) break;
          const bool more = co_await events.audio(std::move(chunk));
          if (st->cancelled) co_return;
          if (!more) {
            cancel();
            co_return;
          }
          break;
        }
        case DuplexEvent::Kind::sentence:
          if (events.sentence_start) events.sentence_start(std::move(ev.text));
          break;
        case DuplexEvent::Kind::finished:
          st->ended = true;
          core->release(conn, st);
          co_return;
        case DuplexEvent::Kind::failed:
          st->ended = true;
          if (ev.close_connection) {
            if (core->current == st) core->current.reset();
            core->close(conn, false);
          } else {
            core->release(conn, st);
          }
          throw TtsStreamError(core->named(ev.text));
        case DuplexEvent::Kind::closed:
          st->ended = true;
          if (core->current == st) core->current.reset();
          core->close(conn, false);
          throw TtsStreamError(core->named(ev.text.empty() ? "the vendor closed the connection mid-reply" : ev.text));
        case DuplexEvent::Kind::none:
          break;
      }
    }
  }

 private:
  // Sleeps until woken or `deadline`. A cancelled awaiting coroutine cancels the reply
  // (the vendor is told) and ends with operation_aborted.
  asio::awaitable<void> sleep(StreamState& st, Clock::time_point deadline) {
    st.wake.expires_at(deadline);
    co_await st.wake.async_wait(asio::as_tuple(asio::use_awaitable));
    auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none) {
      cancel();
      throw boost::system::system_error(asio::error::operation_aborted);
    }
  }

  // s16le bytes to samples; an odd byte waits for the next message.
  static PcmChunk samples_of(std::string& carry, const DuplexEvent& ev) {
    PcmChunk chunk;
    chunk.sample_rate = ev.sample_rate;
    std::string_view bytes = ev.audio;
    std::string joined;
    if (!carry.empty()) {
      joined = carry + ev.audio;
      bytes = joined;
      carry.clear();
    }
    chunk.samples.resize(bytes.size() / 2);
    for (std::size_t i = 0; i < chunk.samples.size(); ++i) {
      const auto lo = static_cast<unsigned char>(bytes[2 * i]);
      const auto hi = static_cast<unsigned char>(bytes[2 * i + 1]);
      chunk.samples[i] = static_cast<std::int16_t>(static_cast<std::uint16_t>(lo | (hi << 8)));
    }
    if (bytes.size() % 2) carry.assign(bytes.substr(bytes.size() - 1));
    return chunk;
  }

  std::shared_ptr<Core> core_;
  std::shared_ptr<StreamState> st_;
};

}  // namespace

WsDuplexLink::WsDuplexLink(asio::any_io_executor ex, DuplexOptions opts, std::unique_ptr<DuplexProtocol> protocol)
    : core_(std::make_shared<Core>(std::move(ex), std::move(opts), std::move(protocol))) {}

WsDuplexLink::~WsDuplexLink() {
  core_->shut = true;
  if (core_->current) core_->current->abandon();
  if (auto c = core_->conn) core_->close(c, !c->busy);
}

std::unique_ptr<TtsStream> WsDuplexLink::open_stream() { return std::make_unique<WsDuplexStream>(core_); }

std::size_t WsDuplexLink::connections_opened() const { return core_->opened; }

std::size_t WsDuplexLink::queued_audio_bytes() const { return core_->current ? core_->current->queued_audio : 0; }

}  // namespace xz::providers
