#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/loop_monitor.h"
#include "core/metrics.h"
#include "core/run_queue_wait.h"
#include "core/runtime.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using xz::core::Metrics;
using xz::core::Runtime;
using xz::core::Task;

namespace {

constexpr auto kPeriod = 10ms;

std::chrono::nanoseconds thread_cpu_time() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

Task<int> pause_on_loop(std::chrono::milliseconds d) {
  co_await xz::core::sleep_for(d);
  co_return 0;
}

// A loop with the monitor running, and a way to read what it measured.
struct MonitoredLoop {
  Runtime rt{1, 1};
  Metrics metrics;

  MonitoredLoop() {
    rt.start();
    xz::core::start_loop_monitor(rt, metrics, kPeriod);
    settle();  // the probe has armed its timer at least once
  }

  // Returns once every probe timer due before now has fired: the probe's timer is due
  // before ours, so the loop runs its completion first.
  void settle() { asio::co_spawn(rt.loop(0), pause_on_loop(3 * kPeriod), asio::use_future).get(); }

  void run_on_loop(std::function<void()> fn) {
    asio::co_spawn(rt.loop(0), [](std::function<void()> f) -> Task<int> { f(); co_return 0; }(std::move(fn)),
                   asio::use_future)
        .get();
  }

  double worst(const std::string& name) { return metrics.gauge(name, "").value(); }
  double worst_lag() { return worst("xiaozhi_event_loop_lag_max_ms"); }
  double worst_stall() { return worst("xiaozhi_event_loop_stall_max_ms"); }
};

}  // namespace

TEST(LoopMonitor, ABlockingCallOnTheLoopIsAStall) {
  MonitoredLoop loop;
  loop.run_on_loop([] { std::this_thread::sleep_for(40ms); });
  loop.settle();
  EXPECT_GE(loop.worst_lag(), 20);
  EXPECT_GE(loop.worst_stall(), 20) << "sleeping in a handler is the server's own doing";
}

TEST(LoopMonitor, LongWorkOnTheLoopIsAStall) {
  MonitoredLoop loop;
  // 40 ms of the loop thread's own CPU time, however long other load makes that take.
  loop.run_on_loop([] {
    auto until = thread_cpu_time() + 40ms;
    while (thread_cpu_time() < until) {
    }
  });
  loop.settle();
  EXPECT_GE(loop.worst_stall(), 20);
}

TEST(LoopMonitor, ALoopStarvedOfCpuIsLateButNotStalled) {
  if (!xz::core::RunQueueWait::of_this_thread()) GTEST_SKIP() << "this kernel does not report run-queue waits";
  MonitoredLoop loop;
  // Put the loop thread on one CPU at the lowest priority there is, then keep that CPU
  // busy from another thread: the loop's timers fire late through no work of its own.
  std::atomic<int> cpu{-1};
  bool lowered = false;
  loop.run_on_loop([&] {
    cpu = sched_getcpu();
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu.load(), &set);
    sched_param idle{};
    lowered = pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0 &&
              pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle) == 0;
  });
  if (!lowered) GTEST_SKIP() << "cannot pin the loop thread or lower its priority here";
  // A hog that starts late or lands elsewhere can leave the loop unstarved; try again.
  auto hold_the_cpu = [&] {
    std::vector<std::thread> hogs;
    for (int i = 0; i < 3; ++i)
      hogs.emplace_back([&] {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu.load(), &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
        auto until = std::chrono::steady_clock::now() + 150ms;
        while (std::chrono::steady_clock::now() < until) {
        }
      });
    for (auto& h : hogs) h.join();
    loop.settle();
  };
  for (int attempt = 0; attempt < 5 && loop.worst_lag() < 20; ++attempt) hold_the_cpu();
  ASSERT_GE(loop.worst_lag(), 20) << "the hogs never held the loop's CPU";
  EXPECT_LT(loop.worst_stall(), 10) << "waiting for a CPU is not a stall the server caused";
}

TEST(RunQueueWait, GrowsOnlyWhileTheThreadWaitsForACpu) {
  auto w = xz::core::RunQueueWait::of_this_thread();
  if (!w) GTEST_SKIP() << "this kernel does not report run-queue waits";
  auto before = w->total();
  ASSERT_TRUE(before);
  std::this_thread::sleep_for(30ms);  // asleep, not waiting for a CPU
  auto after = w->total();
  ASSERT_TRUE(after);
  EXPECT_GE(*after, *before);
  EXPECT_LT(*after - *before, 20ms);
}
