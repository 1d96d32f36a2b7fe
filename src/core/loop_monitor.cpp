#include "core/loop_monitor.h"

#include "core/async.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace xz::core {

namespace {
asio::awaitable<void> probe(Histogram& lag, Gauge& max_lag, std::chrono::milliseconds period) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  for (;;) {
    auto due = Clock::now() + period;
    t.expires_at(due);
    co_await t.async_wait(asio::use_awaitable);
    double late = std::chrono::duration<double, std::milli>(Clock::now() - due).count();
    lag.observe(late);
    if (late > max_lag.value()) max_lag.set(late);
  }
}
}  // namespace

void start_loop_monitor(Runtime& rt, Metrics& metrics, std::chrono::milliseconds period) {
  auto& lag = metrics.histogram("xiaozhi_event_loop_lag_ms", "How late a timer fires on an event loop (ms)",
                                {0.1, 0.5, 1, 2, 5, 10, 20, 50, 100, 500});
  auto& max_lag = metrics.gauge("xiaozhi_event_loop_lag_max_ms", "Worst event-loop timer lateness since start (ms)");
  for (std::size_t i = 0; i < rt.loop_count(); ++i)
    asio::co_spawn(rt.loop(i), probe(lag, max_lag, period), asio::detached);
}

}  // namespace xz::core
