#pragma once
// Racing an operation against a deadline (core::with_timeout) or a stop event. Unlike a
// bare `op || ...` (asio's || waits for the first *success*), an exception from `op` ends
// the race at once and is rethrown to the caller.
#include <exception>
#include <optional>
#include <utility>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "core/async.h"

namespace xz::tools::mcp {

namespace detail {

using core::detail::capture;
using core::detail::capture_void;

// Completes only when the event is set: a cancelled wait throws, so it never counts as
// the winner of a race.
// (A pointer, and the result in a local: g++ 12 misplaced the reference parameter of
// this coroutine when the co_await sat in the if condition.)
inline core::Task<void> wait_event(core::Event* ev) {
  const bool set = co_await ev->wait();
  if (!set) throw boost::system::system_error(boost::asio::error::operation_aborted);
}

}  // namespace detail

// op's result, or std::nullopt when `d` passed first (op is then cancelled).
template <class T>
core::Task<std::optional<T>> within(core::Task<T> op, core::Clock::duration d) {
  return core::with_timeout(std::move(op), d);
}

// True when op finished in time.
inline core::Task<bool> within(core::Task<void> op, core::Clock::duration d) {
  return core::with_timeout(std::move(op), d);
}

// op's result, or std::nullopt when `stop` was set first (op is then cancelled).
template <class T>
core::Task<std::optional<T>> unless_stopped(core::Task<T> op, core::Event& stop) {
  using namespace boost::asio::experimental::awaitable_operators;
  if (stop.is_set()) co_return std::nullopt;
  auto guarded = detail::capture(std::move(op));
  auto stopped = detail::wait_event(&stop);
  auto r = co_await (std::move(guarded) || std::move(stopped));
  if (r.index() == 1) co_return std::nullopt;
  auto& c = std::get<0>(r);
  if (c.error) std::rethrow_exception(c.error);
  co_return std::move(c.value);
}

// True when op finished before `stop` was set.
inline core::Task<bool> unless_stopped(core::Task<void> op, core::Event& stop) {
  using namespace boost::asio::experimental::awaitable_operators;
  if (stop.is_set()) co_return false;
  auto guarded = detail::capture_void(std::move(op));
  auto stopped = detail::wait_event(&stop);
  auto r = co_await (std::move(guarded) || std::move(stopped));
  if (r.index() == 1) co_return false;
  if (auto e = std::get<0>(r)) std::rethrow_exception(e);
  co_return true;
}

}  // namespace xz::tools::mcp
