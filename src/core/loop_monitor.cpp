#include "core/loop_monitor.h"

#include <algorithm>

#include "core/async.h"
#include "core/run_queue_wait.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace xz::core {

namespace {

struct Lateness {
  Histogram& histogram;
  Gauge& max;

  void observe(double ms) {
    histogram.observe(ms);
    if (ms > max.value()) max.set(ms);
  }
};

using Ms = std::chrono::duration<double, std::milli>;

asio::awaitable<void> probe(Lateness lag, Lateness stall, std::chrono::milliseconds period) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  // Opened here, on the loop thread, so it measures that thread. Without it every
  // late millisecond counts as a stall: the cautious reading.
  const auto run_queue = RunQueueWait::of_this_thread();
  for (;;) {
    auto waited_before = run_queue ? run_queue->total() : std::nullopt;
    auto due = Clock::now() + period;
    t.expires_at(due);
    co_await t.async_wait(asio::use_awaitable);
    double late = Ms(Clock::now() - due).count();
    double starved = 0;
    if (auto waited_after = run_queue ? run_queue->total() : std::nullopt; waited_before && waited_after)
      starved = Ms(*waited_after - *waited_before).count();
    lag.observe(late);
    stall.observe(std::max(0.0, late - starved));
  }
}

Lateness lateness_metrics(Metrics& metrics, const std::string& name, const std::string& help) {
  return {metrics.histogram(name + "_ms", help + " (ms)", {0.1, 0.5, 1, 2, 5, 10, 20, 50, 100, 500}),
          metrics.gauge(name + "_max_ms", "The worst since start of: " + help + " (ms)")};
}

}  // namespace

void start_loop_monitor(Runtime& rt, Metrics& metrics, std::chrono::milliseconds period) {
  auto lag = lateness_metrics(metrics, "xiaozhi_event_loop_lag", "How late a timer fires on an event loop");
  auto stall = lateness_metrics(metrics, "xiaozhi_event_loop_stall",
                                "Event-loop timer lateness not spent waiting for a CPU: the server's own work or a blocking call");
  for (std::size_t i = 0; i < rt.loop_count(); ++i)
    asio::co_spawn(rt.loop(i), probe(lag, stall, period), asio::detached);
}

}  // namespace xz::core
