#include "pipeline/pacer.h"

#include <algorithm>
#include <exception>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <spdlog/spdlog.h>

#include "core/lazy_deque.h"

namespace xz::pipeline {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::size_t kLatenessSamples = 4096;
}  // namespace

// Shared by the Pacer and its coroutines, so a coroutine resuming after the Pacer is
// gone finds valid (stopped) state.
struct Pacer::State {
  struct Item {
    bool is_frame;
    std::string data;
  };

  State(asio::any_io_executor ex, Options o, SendFrame f, SendText t)
      : opts(o),
        send_frame(std::move(f)),
        send_text(std::move(t)),
        wake(ex),
        drained_signal(ex, Clock::time_point::max()) {}

  Options opts;
  SendFrame send_frame;
  SendText send_text;
  core::LazyDeque<Item> queue;
  std::size_t frames = 0, texts = 0, sent = 0;
  Clock::time_point play_end{};   // the device's playback clock
  Clock::time_point last_send{};  // fixed-interval mode
  int burst = 0;                  // fixed-interval mode: frames sent since the audio paused
  bool front_waited = false;      // the front frame waited for its due time
  asio::steady_timer wake;        // the sender's sleep: idle (no expiry) or until a frame is due
  asio::steady_timer drained_signal;
  bool idle = false;
  bool held = false;
  bool stopped = false;
  std::vector<std::chrono::microseconds> lateness;
  std::size_t lateness_next = 0;

  bool fixed_mode() const { return opts.fixed_interval.count() > 0; }

  // When the front frame may go.
  Clock::time_point due(Clock::time_point now) const {
    if (fixed_mode()) return burst < opts.prebuffer_frames ? now : last_send + opts.fixed_interval;
    // Sending then leaves a lead of exactly prebuffer_frames frames.
    return play_end - (opts.prebuffer_frames - 1) * opts.frame_duration;
  }

  void drop_queue() {
    queue.clear();
    frames = 0;
    texts = 0;
    front_waited = false;
  }

  void notify_if_drained() {
    if (queue.empty()) drained_signal.cancel();
  }

  void record_lateness(Clock::duration late) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(late);
    if (lateness.size() < kLatenessSamples) {
      lateness.push_back(us);
    } else {
      lateness[lateness_next] = us;
      lateness_next = (lateness_next + 1) % kLatenessSamples;
    }
  }

  // The callbacks write to a socket queue; a failure there must not end the pacer.
  template <class Fn>
  static void deliver(const Fn& fn, std::string data, const char* what) {
    try {
      fn(std::move(data));
    } catch (const std::exception& e) {
      spdlog::warn("pacer: sending a {} failed: {}", what, e.what());
    }
  }

  void send_front_frame(Clock::time_point now, Clock::time_point due_at) {
    auto frame = std::move(queue.front().data);
    queue.pop_front();
    --frames;
    if (front_waited) record_lateness(now - due_at);
    front_waited = false;
    ++burst;
    last_send = now;
    play_end = std::max(play_end, now) + opts.frame_duration;
    ++sent;
    deliver(send_frame, std::move(frame), "frame");
  }

  static asio::awaitable<void> run(std::shared_ptr<State> st) {
    while (!st->stopped) {
      if (st->queue.empty() || st->held) {
        st->idle = true;
        st->wake.expires_at(Clock::time_point::max());
        co_await st->wake.async_wait(asio::as_tuple(asio::use_awaitable));
        st->idle = false;
        // Fixed-interval mode bursts again only after a pause the device played out
        // (the reference: once per turn), not whenever a long interval lets it run dry.
        if (st->play_end <= Clock::now()) st->burst = 0;
        continue;
      }
      if (!st->queue.front().is_frame) {
        auto text = std::move(st->queue.front().data);
        st->queue.pop_front();
        --st->texts;
        deliver(st->send_text, std::move(text), "text");
        st->notify_if_drained();
        continue;
      }
      const auto now = Clock::now();
      const auto due_at = st->due(now);
      if (due_at > now) {
        // Woken early only by clear()/stop(); the loop then re-checks the queue, so an
        // item dropped meanwhile is never sent.
        st->front_waited = true;
        st->wake.expires_at(due_at);
        co_await st->wake.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      st->send_front_frame(now, due_at);
      st->notify_if_drained();
    }
  }

  static asio::awaitable<void> wait_drained(std::shared_ptr<State> st) {
    for (;;) {
      if (st->stopped) throw boost::system::system_error(asio::error::operation_aborted, "pacer stopped");
      if (st->queue.empty()) co_return;
      co_await st->drained_signal.async_wait(asio::as_tuple(asio::use_awaitable));
      const auto cs = co_await asio::this_coro::cancellation_state;
      if (cs.cancelled() != asio::cancellation_type::none) {
        throw boost::system::system_error(asio::error::operation_aborted, "pacer drained() wait cancelled");
      }
    }
  }
};

Pacer::Pacer(asio::any_io_executor ex, Options opts, SendFrame send_frame, SendText send_text) {
  if (opts.frame_duration.count() <= 0) throw std::invalid_argument("Pacer: frame_duration must be positive");
  if (opts.prebuffer_frames < 1) throw std::invalid_argument("Pacer: prebuffer_frames must be at least 1");
  if (opts.fixed_interval.count() < 0) throw std::invalid_argument("Pacer: fixed_interval must not be negative");
  if (opts.max_queued_frames == 0 || opts.max_queued_texts == 0) {
    throw std::invalid_argument("Pacer: queue bounds must be at least 1");
  }
  if (!send_frame || !send_text) throw std::invalid_argument("Pacer: both send callbacks are required");
  state_ = std::make_shared<State>(ex, opts, std::move(send_frame), std::move(send_text));
  asio::co_spawn(ex, State::run(state_), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& err) {
      spdlog::error("pacer: sender stopped: {}", err.what());
    }
  });
}

Pacer::~Pacer() { stop(); }

bool Pacer::push_frame(std::string frame) {
  auto& st = *state_;
  if (st.stopped || st.frames >= st.opts.max_queued_frames) return false;
  st.queue.push_back({true, std::move(frame)});
  ++st.frames;
  if (st.idle) st.wake.cancel();
  return true;
}

bool Pacer::push_text(std::string message) {
  auto& st = *state_;
  if (st.stopped || st.texts >= st.opts.max_queued_texts) return false;
  st.queue.push_back({false, std::move(message)});
  ++st.texts;
  if (st.idle) st.wake.cancel();
  return true;
}

void Pacer::hold() { state_->held = true; }

void Pacer::release() {
  auto& st = *state_;
  if (!st.held) return;
  st.held = false;
  st.wake.cancel();
}

bool Pacer::held() const { return state_->held; }

void Pacer::clear() {
  auto& st = *state_;
  st.held = false;
  st.drop_queue();
  st.wake.cancel();
  st.drained_signal.cancel();
}

asio::awaitable<void> Pacer::drained() { return State::wait_drained(state_); }

Clock::time_point Pacer::playback_end() const { return state_->play_end; }

std::size_t Pacer::queued_frames() const { return state_->frames; }

std::size_t Pacer::sent_frames() const { return state_->sent; }

const std::vector<std::chrono::microseconds>& Pacer::lateness_samples() const { return state_->lateness; }

void Pacer::stop() {
  auto& st = *state_;
  if (st.stopped) return;
  st.stopped = true;
  st.drop_queue();
  st.wake.cancel();
  st.drained_signal.cancel();
}

}  // namespace xz::pipeline
