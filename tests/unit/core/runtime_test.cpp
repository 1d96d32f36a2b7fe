#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/runtime.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using xz::core::Clock;
using xz::core::Runtime;
using xz::core::Task;

namespace {

// Runs a coroutine on loop 0 and waits for its result from the test thread.
template <class T>
T run_on(Runtime& rt, Task<T> task) {
  auto fut = asio::co_spawn(rt.loop(0), std::move(task), asio::use_future);
  return fut.get();
}

// A coroutine must not be a capturing lambda that dies before it finishes: take what
// it needs as parameters (they live in the coroutine frame).
Task<bool> receive_one(std::shared_ptr<xz::core::Channel<int>> ch) {
  auto v = co_await xz::core::receive(*ch);
  co_return v.has_value();
}

}  // namespace

TEST(Runtime, OffloadedBlockingJobDoesNotDelayTimerOnTheLoop) {
  Runtime rt(1, 2);
  rt.start();
  auto lateness = run_on(rt, [&]() -> Task<Clock::duration> {
    auto ex = co_await asio::this_coro::executor;
    // Start a 300 ms blocking job on the pool, concurrently with a 10 ms timer.
    auto job = asio::co_spawn(ex, xz::core::offload(rt.pool(), [] {
      std::this_thread::sleep_for(300ms);
      return 1;
    }), asio::use_awaitable);
    auto start = Clock::now();
    co_await xz::core::sleep_for(10ms);
    auto late = Clock::now() - start - 10ms;
    EXPECT_EQ(co_await std::move(job), 1);
    co_return late;
  }());
  EXPECT_LT(lateness, 5ms) << "timer fired "
                           << std::chrono::duration_cast<std::chrono::microseconds>(lateness).count()
                           << " us late";
}

TEST(Runtime, BlockingJobOnTheLoopItselfWouldDelayTheTimer) {
  // The control case: proves the test above can fail.
  Runtime rt(1, 1);
  rt.start();
  auto lateness = run_on(rt, [&]() -> Task<Clock::duration> {
    auto ex = co_await asio::this_coro::executor;
    asio::post(ex, [] { std::this_thread::sleep_for(100ms); });
    auto start = Clock::now();
    co_await xz::core::sleep_for(10ms);
    co_return Clock::now() - start - 10ms;
  }());
  EXPECT_GT(lateness, 50ms);
}

TEST(Runtime, OffloadResumesOnCallersExecutorWithResult) {
  Runtime rt(2, 2);
  rt.start();
  auto ok = run_on(rt, [&]() -> Task<bool> {
    auto caller = std::this_thread::get_id();
    std::thread::id worker;
    auto v = co_await xz::core::offload(rt.pool(), [&] {
      worker = std::this_thread::get_id();
      return std::string("done");
    });
    EXPECT_EQ(v, "done");
    EXPECT_NE(worker, caller);
    co_return std::this_thread::get_id() == caller;
  }());
  EXPECT_TRUE(ok);
}

TEST(Runtime, OffloadPropagatesExceptions) {
  Runtime rt(1, 1);
  rt.start();
  auto msg = run_on(rt, [&]() -> Task<std::string> {
    try {
      co_await xz::core::offload(rt.pool(), []() -> int { throw std::runtime_error("boom"); });
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  }());
  EXPECT_EQ(msg, "boom");
}

TEST(Runtime, OffloadSupportsVoid) {
  Runtime rt(1, 1);
  rt.start();
  std::atomic<int> n{0};
  run_on(rt, [&]() -> Task<int> {
    co_await xz::core::offload(rt.pool(), [&] { n = 7; });
    co_return 0;
  }());
  EXPECT_EQ(n.load(), 7);
}

TEST(Runtime, PostFromWorkerReachesSessionExecutor) {
  Runtime rt(2, 2);
  rt.start();
  std::promise<std::thread::id> loop_id, posted_id;
  asio::post(rt.loop(1), [&] { loop_id.set_value(std::this_thread::get_id()); });
  asio::post(rt.pool(), [&] {
    xz::core::post_to(rt.loop(1).get_executor(),
                      [&] { posted_id.set_value(std::this_thread::get_id()); });
  });
  EXPECT_EQ(loop_id.get_future().get(), posted_id.get_future().get());
}

TEST(Runtime, RoundRobinOverLoops) {
  Runtime rt(3, 1);
  EXPECT_EQ(rt.loop_count(), 3u);
  auto* a = &rt.next_loop();
  auto* b = &rt.next_loop();
  auto* c = &rt.next_loop();
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_EQ(a, &rt.next_loop());
}

TEST(Channel, FullChannelAppliesBackPressure) {
  Runtime rt(1, 1);
  rt.start();
  auto result = run_on(rt, [&]() -> Task<std::string> {
    auto ex = co_await asio::this_coro::executor;
    xz::core::Channel<int> ch(ex, 2);
    EXPECT_TRUE(ch.try_send(xz::core::error_code{}, 1));
    EXPECT_TRUE(ch.try_send(xz::core::error_code{}, 2));
    EXPECT_FALSE(ch.try_send(xz::core::error_code{}, 3)) << "a full channel must refuse";

    std::string order;
    // The producer's third send must wait until the consumer takes one.
    auto producer = asio::co_spawn(ex, [&]() -> Task<void> {
      co_await xz::core::send(ch, 3);
      order += "sent3,";
    }, asio::use_awaitable);
    co_await xz::core::sleep_for(20ms);
    order += "consume,";
    auto v = co_await xz::core::receive(ch);
    EXPECT_EQ(v.value_or(-1), 1);
    co_await std::move(producer);
    co_return order;
  }());
  EXPECT_EQ(result, "consume,sent3,");
}

TEST(Channel, CloseWakesReceiver) {
  Runtime rt(1, 1);
  rt.start();
  auto got = run_on(rt, [&]() -> Task<bool> {
    auto ex = co_await asio::this_coro::executor;
    xz::core::Channel<int> ch(ex, 1);
    asio::post(ex, [&] { ch.close(); });
    auto v = co_await xz::core::receive(ch);
    co_return v.has_value();
  }());
  EXPECT_FALSE(got);
}

TEST(Channel, ConcurrentChannelCarriesValuesFromWorkers) {
  Runtime rt(1, 2);
  rt.start();
  auto sum = run_on(rt, [&]() -> Task<int> {
    auto ex = co_await asio::this_coro::executor;
    xz::core::ConcurrentChannel<int> ch(ex, 4);
    for (int i = 1; i <= 10; ++i)
      asio::post(rt.pool(), [&ch, i] { ch.async_send(xz::core::error_code{}, i, [](auto) {}); });
    int total = 0;
    for (int i = 0; i < 10; ++i) total += (co_await xz::core::receive(ch)).value_or(0);
    co_return total;
  }());
  EXPECT_EQ(sum, 55);
}

TEST(Cancellation, ReachesACoroutineWaitingOnAChannel) {
  Runtime rt(1, 1);
  rt.start();
  std::promise<bool> outcome;
  asio::cancellation_signal sig;
  asio::post(rt.loop(0), [&] {
    auto ex = rt.loop(0).get_executor();
    auto ch = std::make_shared<xz::core::Channel<int>>(ex, 1);
    asio::co_spawn(ex, receive_one(ch), asio::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr, bool got) {
      outcome.set_value(got);
    }));
    asio::post(ex, [&] { sig.emit(asio::cancellation_type::terminal); });
  });
  auto fut = outcome.get_future();
  ASSERT_EQ(fut.wait_for(2s), std::future_status::ready) << "cancellation did not arrive";
  EXPECT_FALSE(fut.get());
}

TEST(Cancellation, ReachesAnEventWait) {
  Runtime rt(1, 1);
  rt.start();
  std::promise<bool> outcome;
  asio::cancellation_signal sig;
  auto ex = rt.loop(0).get_executor();
  auto ev = std::make_shared<xz::core::Event>(ex);
  asio::post(ex, [&, ev] {
    asio::co_spawn(ex, ev->wait(), asio::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr, bool set) {
      outcome.set_value(set);
    }));
    asio::post(ex, [&] { sig.emit(asio::cancellation_type::terminal); });
  });
  auto fut = outcome.get_future();
  ASSERT_EQ(fut.wait_for(2s), std::future_status::ready);
  EXPECT_FALSE(fut.get());
}

TEST(Event, SetWakesWaiter) {
  Runtime rt(1, 1);
  rt.start();
  auto woke = run_on(rt, [&]() -> Task<bool> {
    auto ex = co_await asio::this_coro::executor;
    xz::core::Event ev(ex);
    asio::post(ex, [&] { ev.set(); });
    co_return co_await ev.wait();
  }());
  EXPECT_TRUE(woke);
}

TEST(Timeout, ExpiresSlowOperationAndKeepsFastOne) {
  Runtime rt(1, 1);
  rt.start();
  auto r = run_on(rt, [&]() -> Task<std::pair<bool, bool>> {
    auto slow = [&]() -> Task<int> {
      co_await xz::core::sleep_for(500ms);
      co_return 1;
    };
    auto fast = [&]() -> Task<int> { co_return 2; };
    auto a = co_await xz::core::with_timeout(slow(), 20ms);
    auto b = co_await xz::core::with_timeout(fast(), 500ms);
    co_return std::make_pair(a.has_value(), b.value_or(0) == 2);
  }());
  EXPECT_FALSE(r.first);
  EXPECT_TRUE(r.second);
}

// asio's || waits for the first success: without capturing the exception, an operation
// that fails at once was reported as a timeout after the whole wait.
TEST(Timeout, AFailureEndsTheWaitAtOnceAndIsRethrown) {
  Runtime rt(1, 1);
  rt.start();
  auto r = run_on(rt, [&]() -> Task<std::pair<std::string, std::string>> {
    auto failing = [&]() -> Task<int> {
      co_await xz::core::sleep_for(1ms);
      throw std::runtime_error("refused");
    };
    auto failing_void = [&]() -> Task<void> {
      co_await xz::core::sleep_for(1ms);
      throw std::runtime_error("refused too");
    };
    std::pair<std::string, std::string> what;
    try {
      (void)co_await xz::core::with_timeout(failing(), 10s);
    } catch (const std::runtime_error& e) {
      what.first = e.what();
    }
    try {
      (void)co_await xz::core::with_timeout(failing_void(), 10s);
    } catch (const std::runtime_error& e) {
      what.second = e.what();
    }
    co_return what;
  }());
  EXPECT_EQ(r.first, "refused");
  EXPECT_EQ(r.second, "refused too");
}
