#pragma once
// Runs a coroutine on another (serial) executor and resumes the caller on its own.
// MCP connections live on one executor while device sessions on every loop call their
// tools. Cancelling the caller returns at once with operation_aborted and asks the
// remote coroutine to stop (on its own executor, so no cancellation state is touched
// from a foreign thread); its result is then dropped.
#include <exception>
#include <memory>
#include <optional>
#include <utility>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "core/async.h"

namespace xz::tools::mcp {

namespace detail {

template <class T>
struct RemoteCall {
  explicit RemoteCall(boost::asio::any_io_executor caller) : done(std::move(caller), 1) {}
  std::optional<T> value;
  std::exception_ptr error;
  // Touched only on the target executor.
  boost::asio::cancellation_signal cancel;
  bool finished = false;
  // Written on the target, received on the caller's executor: the hand-over point.
  core::ConcurrentChannel<bool> done;
};

template <class T>
core::Task<void> run_remote(std::shared_ptr<RemoteCall<T>> call, core::Task<T> task) {
  try {
    call->value.emplace(co_await std::move(task));
  } catch (...) {
    call->error = std::current_exception();
  }
  call->finished = true;
  call->done.try_send(core::error_code{}, true);
}

inline core::Task<std::monostate> as_unit(core::Task<void> task) {
  co_await std::move(task);
  co_return std::monostate{};
}

}  // namespace detail

// `target` must be serial (a strand or a single-threaded io_context).
template <class T>
core::Task<T> run_on(boost::asio::any_io_executor target, core::Task<T> task) {
  namespace asio = boost::asio;
  auto caller = co_await asio::this_coro::executor;
  auto call = std::make_shared<detail::RemoteCall<T>>(caller);
  asio::co_spawn(target, detail::run_remote<T>(call, std::move(task)),
                 asio::bind_cancellation_slot(call->cancel.slot(), asio::detached));
  auto [ec, ok] = co_await call->done.async_receive(asio::as_tuple(asio::use_awaitable));
  if (ec) {
    asio::post(target, [call] {
      if (!call->finished) call->cancel.emit(asio::cancellation_type::terminal);
    });
    throw boost::system::system_error(asio::error::operation_aborted);
  }
  if (call->error) std::rethrow_exception(call->error);
  co_return std::move(*call->value);
}

inline core::Task<void> run_on(boost::asio::any_io_executor target, core::Task<void> task) {
  auto unit = detail::as_unit(std::move(task));
  co_await run_on<std::monostate>(std::move(target), std::move(unit));
}

}  // namespace xz::tools::mcp
