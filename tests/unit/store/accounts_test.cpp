// The async accounts service: password checks, the first-start admin, and its bound on
// hashes running at once.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/runtime.h"
#include "store/accounts.h"
#include "store/store.h"
#include "store_test_util.h"

namespace asio = boost::asio;
using xz::core::Runtime;
using xz::core::Task;
using namespace xz::store;

namespace {

constexpr ScryptParams kCheap{4, 8, 1};

template <class T>
T run_on(asio::io_context& loop, Task<T> task) {
  return asio::co_spawn(loop, std::move(task), asio::use_future).get();
}

struct Fixture {
  xz::test::TempDir dir;
  Runtime rt{1, 2};
  std::unique_ptr<Store> store;
  Fixture() {
    rt.start();
    store = std::make_unique<Store>(rt.pool(), database_path(dir.str()));
  }
  ~Fixture() {
    run_on(rt.loop(0), store->close());
    rt.stop();
  }
};

}  // namespace

TEST(Accounts, FirstAdminGetsARandomPasswordOnceAndItChecks) {
  Fixture f;
  Accounts accounts(*f.store, f.rt.pool(), kCheap);
  auto password = run_on(f.rt.loop(0), accounts.create_first_admin("admin", 1000));
  ASSERT_TRUE(password);
  EXPECT_EQ(password->size(), 20u);
  EXPECT_FALSE(run_on(f.rt.loop(0), accounts.create_first_admin("admin", 2000))) << "only while no admin exists";

  auto ok = run_on(f.rt.loop(0), accounts.check_password("admin", *password));
  EXPECT_EQ(ok.outcome, PasswordCheck::Outcome::ok);
  ASSERT_TRUE(ok.account);
  EXPECT_EQ(ok.account->role, AccountRole::admin);
  EXPECT_EQ(ok.account->password_hash.rfind("$scrypt$ln=4,r=8,p=1$", 0), 0u);
  EXPECT_EQ(run_on(f.rt.loop(0), accounts.check_password("admin", *password + "x")).outcome,
            PasswordCheck::Outcome::wrong);
  auto unknown = run_on(f.rt.loop(0), accounts.check_password("nobody", *password));
  EXPECT_EQ(unknown.outcome, PasswordCheck::Outcome::wrong);
  EXPECT_FALSE(unknown.account);

  EXPECT_EQ(run_on(f.rt.loop(0), accounts.set_password("admin", "another-password", 3000)), AccountWrite::done);
  EXPECT_EQ(run_on(f.rt.loop(0), accounts.check_password("admin", "another-password")).outcome,
            PasswordCheck::Outcome::ok);
  EXPECT_EQ(run_on(f.rt.loop(0), accounts.set_password("nobody", "another-password", 3000)), AccountWrite::missing);
}

// Both checks start on one loop: whichever runs first holds the only place until its hash
// is done, so the other is answered `busy` at once instead of queueing another 128*r*N bytes.
TEST(Accounts, HashesBeyondTheBoundAreRefusedNotQueued) {
  Fixture f;
  Accounts accounts(*f.store, f.rt.pool(), kCheap, 1);
  auto password = *run_on(f.rt.loop(0), accounts.create_first_admin("admin", 1000));
  auto both = [&]() -> Task<std::pair<PasswordCheck, PasswordCheck>> {
    auto ex = co_await asio::this_coro::executor;
    auto first = asio::co_spawn(ex, accounts.check_password("admin", password), asio::use_future);
    auto second = co_await accounts.check_password("admin", password);
    // The first finishes on its own; wait for it off this loop.
    auto first_result = co_await xz::core::offload(f.rt.pool(), [&first] { return first.get(); });
    co_return std::make_pair(first_result, second);
  };
  auto [first, second] = run_on(f.rt.loop(0), both());
  using O = PasswordCheck::Outcome;
  EXPECT_TRUE((first.outcome == O::ok && second.outcome == O::busy) ||
              (first.outcome == O::busy && second.outcome == O::ok))
      << static_cast<int>(first.outcome) << " " << static_cast<int>(second.outcome);
  EXPECT_EQ(run_on(f.rt.loop(0), accounts.check_password("admin", password)).outcome, PasswordCheck::Outcome::ok)
      << "the place is given back";
}
