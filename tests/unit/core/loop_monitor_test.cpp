#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <chrono>
#include <functional>
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

// Moves the calling thread to one CPU at the lowest priority there is (SCHED_IDLE), so
// any busy thread on that CPU keeps it waiting. Returns the CPU, or -1 if not allowed.
bool pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

int pin_at_idle_priority() {
  int cpu = sched_getcpu();
  sched_param idle{};
  bool ok = pin_to_cpu(cpu) && pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle) == 0;
  return ok ? cpu : -1;
}

// Three threads spin on `cpu` for `d`: a thread pinned there at idle priority waits.
void hold_cpu(int cpu, std::chrono::milliseconds d) {
  std::vector<std::thread> hogs;
  for (int i = 0; i < 3; ++i)
    hogs.emplace_back([cpu, d] {
      pin_to_cpu(cpu);
      auto until = std::chrono::steady_clock::now() + d;
      while (std::chrono::steady_clock::now() < until) {
      }
    });
  for (auto& h : hogs) h.join();
}

Task<int> pause_on_loop(std::chrono::milliseconds d) {
  co_await xz::core::sleep_for(d);
  co_return 0;
}

// A loop with the monitor running, and a way to read what it measured.
struct MonitoredLoop {
  Metrics metrics;  // declared first: the probes write into it until the loop stops
  Runtime rt{1, 1};

  MonitoredLoop() {
    rt.start();
    xz::core::start_loop_monitor(rt, metrics, kPeriod);
    settle();  // the probe has armed its timer at least once
  }

  // Returns once every probe timer due before now has fired: the probe's timer is due
  // before ours, so the loop runs its completion first.
  void settle() { asio::co_spawn(rt.loop(0), pause_on_loop(3 * kPeriod), asio::use_future).get(); }

  void run_on_loop(std::function<void()> fn) { asio::post(rt.loop(0), asio::use_future(std::move(fn))).get(); }

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
  // Keep the loop thread's CPU busy from other threads: its timers fire late through no
  // work of its own.
  int cpu = -1;
  loop.run_on_loop([&] { cpu = pin_at_idle_priority(); });
  if (cpu < 0) GTEST_SKIP() << "cannot pin the loop thread or lower its priority here";
  // A hog that starts late can leave the loop unstarved; try again.
  for (int attempt = 0; attempt < 5 && loop.worst_lag() < 20; ++attempt) {
    hold_cpu(cpu, 150ms);
    loop.settle();
  }
  ASSERT_GE(loop.worst_lag(), 20) << "the hogs never held the loop's CPU";
  EXPECT_LT(loop.worst_stall(), 10) << "waiting for a CPU is not a stall the server caused";
}

TEST(RunQueueWait, GrowsWhileTheThreadWaitsForACpu) {
  if (!xz::core::RunQueueWait::of_this_thread()) GTEST_SKIP() << "this kernel does not report run-queue waits";
  struct Seen {
    bool pinned = false;
    std::chrono::nanoseconds waited{}, ran{};
  };
  // Measured on a thread of its own: the test's main thread keeps its priority.
  auto measure = [] {
    Seen seen;
    int cpu = pin_at_idle_priority();
    auto w = xz::core::RunQueueWait::of_this_thread();
    if (cpu < 0 || !w) return seen;
    seen.pinned = true;
    // Hogs that start late can leave it unstarved; try again.
    for (int attempt = 0; attempt < 3 && seen.waited < 75ms; ++attempt) {
      auto before = w->total().value_or(0ns);
      auto cpu_before = thread_cpu_time();
      // Runnable all along (it spins), but the hogs hold its CPU for most of the time.
      std::thread hogs([cpu] { hold_cpu(cpu, 150ms); });
      auto until = std::chrono::steady_clock::now() + 150ms;
      while (std::chrono::steady_clock::now() < until) {
      }
      hogs.join();
      seen.waited = w->total().value_or(0ns) - before;
      seen.ran = thread_cpu_time() - cpu_before;
    }
    return seen;
  };
  Seen seen;
  std::thread([&] { seen = measure(); }).join();
  if (!seen.pinned) GTEST_SKIP() << "cannot pin a thread or lower its priority here";
  EXPECT_GE(seen.waited, 75ms) << "it ran for " << std::chrono::duration_cast<std::chrono::milliseconds>(seen.ran).count()
                               << " ms of the 150";
}

TEST(RunQueueWait, DoesNotGrowWhileTheThreadSleeps) {
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
