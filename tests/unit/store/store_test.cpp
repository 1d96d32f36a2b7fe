#include <atomic>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/runtime.h"
#include "store/database.h"
#include "store/store.h"
#include "store/migrations.h"
#include "store_test_util.h"

namespace asio = boost::asio;
using xz::core::Runtime;
using xz::core::Task;
using namespace xz::store;

namespace {

template <class T>
T run_on(asio::io_context& loop, Task<T> task) {
  return asio::co_spawn(loop, std::move(task), asio::use_future).get();
}

DeviceSighting sighting(const std::string& id, std::int64_t at) { return {id, "client-" + id, "board", "1.0.0", at}; }

}  // namespace

TEST(Store, CreatesTheFileAndItsDirectoryAndMigrates) {
  xz::test::TempDir dir;
  Runtime rt(1, 2);
  rt.start();
  auto path = database_path(dir.file("nested/data"));
  EXPECT_EQ(path, dir.file("nested/data") + "/xiaozhi.db");
  Store store(rt.pool(), path);
  EXPECT_EQ(store.schema_version(), static_cast<int>(schema_migrations().size()));
  EXPECT_TRUE(std::filesystem::exists(path));
  Database other(path);
  EXPECT_EQ(other.journal_mode(), "wal");
}

TEST(Store, ConcurrentWritesFromManyCoroutinesAllLandAndResumeOnTheCallersLoop) {
  xz::test::TempDir dir;
  Runtime rt(2, 2);
  rt.start();
  const auto path = database_path(dir.str());
  constexpr int kWriters = 8, kEach = 25;
  {
    Store store(rt.pool(), path);
    std::atomic<int> wrong_thread{0};
    std::vector<std::future<void>> done;
    for (int w = 0; w < kWriters; ++w) {
      auto& loop = rt.loop(static_cast<std::size_t>(w) % rt.loop_count());
      done.push_back(asio::co_spawn(
          loop,
          [&, w, ex = loop.get_executor()]() -> Task<void> {
            for (int i = 0; i < kEach; ++i) {
              auto rec =
                  co_await store.record_seen(sighting("w" + std::to_string(w) + "-" + std::to_string(i), 100 + i));
              if (rec.first_seen != 100 + i) throw std::runtime_error("wrong record returned");
              if (!ex.running_in_this_thread()) ++wrong_thread;
            }
          },
          asio::use_future));
    }
    for (auto& f : done) f.get();
    EXPECT_EQ(wrong_thread.load(), 0) << "each call resumes on the loop that awaited it";
    auto all = run_on(rt.loop(0), store.list_devices(1000));
    EXPECT_EQ(all.size(), static_cast<std::size_t>(kWriters * kEach));
    run_on(rt.loop(0), store.close());
  }
  Store reopened(rt.pool(), path);
  EXPECT_EQ(run_on(rt.loop(1), reopened.list_devices(1000)).size(), static_cast<std::size_t>(kWriters * kEach));
}

TEST(Store, CloseWaitsForWritesQueuedBeforeIt) {
  xz::test::TempDir dir;
  Runtime rt(1, 2);
  rt.start();
  const auto path = database_path(dir.str());
  constexpr int kWrites = 200;
  {
    Store store(rt.pool(), path);
    // Everything is started from one loop in order: the writes reach the store's
    // executor before close() does, and nobody awaits them.
    run_on(rt.loop(0), [&]() -> Task<void> {
      auto ex = co_await asio::this_coro::executor;
      for (int i = 0; i < kWrites; ++i)
        asio::co_spawn(ex, store.record_seen(sighting("d" + std::to_string(i), i)), asio::detached);
      co_await asio::co_spawn(ex, store.close(), asio::use_awaitable);
    }());
    bool threw = false;
    try {
      run_on(rt.loop(0), store.find_device("d1"));
    } catch (const DatabaseError& e) {
      threw = std::string(e.what()).find("closed") != std::string::npos;
    }
    EXPECT_TRUE(threw) << "calls after close() are refused with a clear error";
    run_on(rt.loop(0), store.close());  // idempotent
  }
  Database db(path);
  auto st = db.prepare("SELECT count(*) FROM devices");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.int64(0), kWrites);
}

TEST(Store, ActivationRoundTripThroughTheAsyncApi) {
  xz::test::TempDir dir;
  Runtime rt(1, 2);
  rt.start();
  Store store(rt.pool(), database_path(dir.str()));
  auto result = run_on(rt.loop(0), [&]() -> Task<std::pair<BindResult, std::optional<DeviceRecord>>> {
    co_await store.record_seen(sighting("aa:bb:cc:dd:ee:ff", 10));
    auto code = co_await store.activation_code_for("aa:bb:cc:dd:ee:ff", 10, 100);
    auto bound = co_await store.bind_code(code.code, 20);
    co_await store.flush();
    co_return std::make_pair(bound, co_await store.find_device("aa:bb:cc:dd:ee:ff"));
  }());
  EXPECT_EQ(result.first.outcome, BindOutcome::bound);
  ASSERT_TRUE(result.second);
  EXPECT_EQ(result.second->activation, ActivationState::bound);
  EXPECT_EQ(result.second->bound_at.value_or(0), 20);
}

TEST(Store, ErrorsFromTheDatabaseReachTheCaller) {
  xz::test::TempDir dir;
  Runtime rt(1, 2);
  rt.start();
  Store store(rt.pool(), database_path(dir.str()));
  EXPECT_THROW(run_on(rt.loop(0), store.activation_code_for("never-seen", 1, 1)), DatabaseError);
  // The store keeps working after a failed call.
  EXPECT_EQ(run_on(rt.loop(0), store.record_seen(sighting("x", 1))).device_id, "x");
}

TEST(Store, AnotherProcessStyleConnectionSeesCommittedWrites) {
  // The `devices` command opens its own connection while the server runs.
  xz::test::TempDir dir;
  Runtime rt(1, 2);
  rt.start();
  const auto path = database_path(dir.str());
  Store store(rt.pool(), path);
  run_on(rt.loop(0), store.record_seen(sighting("aa", 1)));
  Database other(path);
  auto st = other.prepare("SELECT device_id FROM devices");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.text(0), "aa");
  other.exec("UPDATE devices SET board = 'changed-elsewhere'");
  EXPECT_EQ(run_on(rt.loop(0), store.find_device("aa"))->board, "changed-elsewhere");
}

TEST(Store, ACancelledCallerStillGetsItsWriteDone) {
  // One worker, held busy: the store's work is queued but cannot start when the
  // caller's timeout fires and cancels it. The write must not be dropped; the call
  // completes once the worker is free.
  using namespace boost::asio::experimental::awaitable_operators;
  xz::test::TempDir dir;
  Runtime rt(1, 1);
  rt.start();
  Store store(rt.pool(), database_path(dir.str()));
  std::promise<void> gate;
  auto gate_open = gate.get_future().share();
  asio::post(rt.pool(), [gate_open] { gate_open.wait(); });

  auto& loop = rt.loop(0);
  // Timers on one loop fire in deadline order: the 5 ms timeout before the 50 ms release.
  asio::co_spawn(
      loop,
      [&]() -> Task<void> {
        co_await xz::core::sleep_for(std::chrono::milliseconds(50));
        gate.set_value();
      },
      asio::detached);
  auto winner = run_on(loop, [&]() -> Task<std::size_t> {
    auto r = co_await (store.record_seen(sighting("late", 1)) || xz::core::sleep_for(std::chrono::milliseconds(5)));
    co_return r.index();
  }());
  EXPECT_EQ(winner, 1u) << "the timeout fired first";
  auto dev = run_on(loop, store.find_device("late"));
  EXPECT_TRUE(dev) << "the write was not abandoned";
}
