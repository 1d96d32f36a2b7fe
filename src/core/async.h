#pragma once
// Coroutine helpers every layer uses: offload to the worker pool, bounded channels,
// one-shot events, and sleeping/timeouts. Header-only so each call site instantiates
// only what it needs.
#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace xz::core {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

template <class T = void>
using Task = asio::awaitable<T>;

// Runs fn() on the pool and resumes the caller on its own executor with the result;
// an exception thrown by fn is rethrown in the caller.
template <class Fn>
auto offload(asio::thread_pool& pool, Fn fn) -> Task<std::invoke_result_t<Fn>> {
  using R = std::invoke_result_t<Fn>;
  // A named job: g++ 12 destroys an owning lambda temporary of a co_await call twice.
  auto job = [f = std::move(fn)]() mutable -> Task<R> { co_return f(); };
  // co_spawn delivers the completion through the awaiting coroutine's executor. The
  // job cannot be stopped once posted, so it gets no cancellation slot: asio 1.81
  // terminates when a co_spawn is cancelled before its coroutine starts, and the caller
  // must not resume while the job may still use what it points to.
  co_return co_await asio::co_spawn(pool.get_executor(), std::move(job),
                                    asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

// Posts fn to run on executor ex (a session's loop) from any thread.
template <class Executor, class Fn>
void post_to(const Executor& ex, Fn&& fn) {
  asio::post(ex, std::forward<Fn>(fn));
}

// A bounded channel between stages on one executor. A full channel suspends the
// sender (back-pressure); close() or cancellation wakes the waiting side with an error.
template <class T>
using Channel = asio::experimental::channel<void(error_code, T)>;
// The same, safe to use across threads (e.g. worker pool -> session).
template <class T>
using ConcurrentChannel = asio::experimental::concurrent_channel<void(error_code, T)>;

template <class Signature>
struct channel_value;
template <class T>
struct channel_value<void(error_code, T)> {
  using type = T;
};

template <class Chan, class T>
Task<std::optional<T>> receive_impl(Chan& ch) {
  auto [ec, v] = co_await ch.async_receive(asio::as_tuple(asio::use_awaitable));
  if (ec) co_return std::nullopt;
  co_return std::optional<T>(std::move(v));
}

// Receives one value; std::nullopt when the channel is closed or the wait cancelled.
template <class Ex, class Traits, class Sig>
Task<std::optional<typename channel_value<Sig>::type>> receive(
    asio::experimental::basic_channel<Ex, Traits, Sig>& ch) {
  return receive_impl<asio::experimental::basic_channel<Ex, Traits, Sig>,
                      typename channel_value<Sig>::type>(ch);
}
template <class Ex, class Traits, class Sig>
Task<std::optional<typename channel_value<Sig>::type>> receive(
    asio::experimental::basic_concurrent_channel<Ex, Traits, Sig>& ch) {
  return receive_impl<asio::experimental::basic_concurrent_channel<Ex, Traits, Sig>,
                      typename channel_value<Sig>::type>(ch);
}

// Sends one value, waiting while the channel is full. False when closed/cancelled.
template <class Chan, class T>
Task<bool> send(Chan& ch, T&& value) {
  auto [ec] = co_await ch.async_send(error_code{}, std::forward<T>(value),
                                     asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

// A one-shot event on one executor: wait() suspends until set(). Waiting after
// set() returns at once. Cancellation of the waiter is honoured.
class Event {
 public:
  explicit Event(asio::any_io_executor ex) : timer_(std::move(ex), Clock::time_point::max()) {}
  void set() {
    set_ = true;
    timer_.cancel();
  }
  bool is_set() const { return set_; }
  // True when the event was set, false when the wait itself was cancelled.
  Task<bool> wait() {
    while (!set_) {
      auto [ec] = co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (!set_ && ec == asio::error::operation_aborted) {
        auto cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none) co_return false;
      }
    }
    co_return true;
  }

 private:
  asio::steady_timer timer_;
  bool set_ = false;
};

inline Task<void> sleep_for(Clock::duration d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

namespace detail {

// An operation's result or exception as a value: asio's || waits for the first *success*,
// so an operation that throws at once would otherwise lose the race only when the other
// side finished (a deadline's full wait, reported as a timeout).
template <class T>
struct Captured {
  std::optional<T> value;
  std::exception_ptr error;
};

template <class T>
Task<Captured<T>> capture(Task<T> op) {
  Captured<T> out;
  try {
    out.value.emplace(co_await std::move(op));
  } catch (...) {
    out.error = std::current_exception();
  }
  co_return out;
}

inline Task<std::exception_ptr> capture_void(Task<void> op) {
  try {
    co_await std::move(op);
  } catch (...) {
    co_return std::current_exception();
  }
  co_return nullptr;
}

}  // namespace detail

// Runs op with a deadline; std::nullopt on timeout (op is cancelled). An exception from
// op ends the wait at once and is rethrown.
template <class T>
Task<std::optional<T>> with_timeout(Task<T> op, Clock::duration d) {
  using namespace asio::experimental::awaitable_operators;
  auto guarded = detail::capture(std::move(op));
  auto timer = sleep_for(d);
  auto r = co_await (std::move(guarded) || std::move(timer));
  if (r.index() == 1) co_return std::nullopt;
  auto& c = std::get<0>(r);
  if (c.error) std::rethrow_exception(c.error);
  co_return std::move(c.value);
}

// Same for an operation without a result: true when it completed in time.
inline Task<bool> with_timeout(Task<void> op, Clock::duration d) {
  using namespace asio::experimental::awaitable_operators;
  auto guarded = detail::capture_void(std::move(op));
  auto timer = sleep_for(d);
  auto r = co_await (std::move(guarded) || std::move(timer));
  if (r.index() == 1) co_return false;
  if (auto e = std::get<0>(r)) std::rethrow_exception(e);
  co_return true;
}

}  // namespace xz::core
