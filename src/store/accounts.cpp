#include "store/accounts.h"

#include <functional>
#include <utility>

#include "core/async.h"
#include "protocol/encoding.h"
#include "store/store.h"

namespace xz::store {

// Holds one of the concurrent-hash places until destroyed.
struct Accounts::HashSlot {
  explicit HashSlot(std::shared_ptr<std::atomic<std::size_t>> c) : count(std::move(c)) {}
  HashSlot(HashSlot&& o) noexcept : count(std::move(o.count)) {}
  HashSlot& operator=(HashSlot&&) = delete;
  ~HashSlot() {
    if (count) count->fetch_sub(1);
  }
  std::shared_ptr<std::atomic<std::size_t>> count;
};

bool acceptable_password(std::string_view password) { return password.size() >= 8 && password.size() <= 1024; }

Accounts::Accounts(Store& store, boost::asio::thread_pool& pool, ScryptParams hashing,
                   std::size_t max_concurrent_hashes)
    : store_(store), pool_(pool), hashing_(hashing), max_hashes_(max_concurrent_hashes == 0 ? 1 : max_concurrent_hashes) {}

std::optional<Accounts::HashSlot> Accounts::take_slot() {
  std::size_t n = hashing_now_->load();
  do {
    if (n >= max_hashes_) return std::nullopt;
  } while (!hashing_now_->compare_exchange_weak(n, n + 1));
  return HashSlot(hashing_now_);
}

// Jobs are named variables, never temporaries inside a co_await expression: g++ 12
// destroys such temporaries twice when their captures are non-trivial.

Accounts::Task<std::optional<Account>> Accounts::find(std::string username) {
  std::optional<Account> found;
  std::function<void(Database&)> job = [&found, &username](Database& db) { found = AccountRepository(db).find(username); };
  co_await store_.run(std::move(job));
  co_return found;
}

Accounts::Task<PasswordCheck> Accounts::check_password(std::string username, std::string password) {
  PasswordCheck out;
  auto slot = take_slot();
  if (!slot) {
    out.outcome = PasswordCheck::Outcome::busy;
    co_return out;
  }
  std::optional<Account> account = co_await find(username);
  std::function<bool()> verify = [&account, &password, once = dummy_once_, dummy = dummy_hash_, params = hashing_] {
    if (account) return verify_password(password, account->password_hash);
    // An unknown user costs a hash of the same cost as a real one.
    std::call_once(*once, [&] { *dummy = hash_password("not a password", params); });
    (void)verify_password(password, *dummy);
    return false;
  };
  const bool right = co_await core::offload(pool_, std::move(verify));
  if (right) {
    out.outcome = PasswordCheck::Outcome::ok;
    out.account = std::move(account);
  }
  co_return out;
}

Accounts::Task<std::optional<AccountWrite>> Accounts::set_password(std::string username, std::string new_password,
                                                                   std::int64_t now) {
  auto slot = take_slot();
  if (!slot) co_return std::nullopt;
  std::function<std::string()> hash_job = [&new_password, params = hashing_] { return hash_password(new_password, params); };
  std::string hash = co_await core::offload(pool_, std::move(hash_job));
  AccountWrite result = AccountWrite::missing;
  std::function<void(Database&)> job = [&](Database& db) {
    result = AccountRepository(db).set_password(username, hash, now);
  };
  co_await store_.run(std::move(job));
  co_return result;
}

Accounts::Task<std::optional<std::string>> Accounts::create_first_admin(std::string username, std::int64_t now) {
  bool exists = false;
  std::function<void(Database&)> count_job = [&exists](Database& db) { exists = AccountRepository(db).count_admins() > 0; };
  co_await store_.run(std::move(count_job));
  if (exists) co_return std::nullopt;
  std::string password = protocol::random_alnum(20);
  Account a;
  a.username = username;
  a.role = AccountRole::admin;
  a.created = a.updated = now;
  std::function<std::string()> hash_job = [&password, params = hashing_] { return hash_password(password, params); };
  a.password_hash = co_await core::offload(pool_, std::move(hash_job));
  AccountWrite result = AccountWrite::taken;
  std::function<void(Database&)> add_job = [&a, &result](Database& db) { result = AccountRepository(db).add_first_admin(a); };
  co_await store_.run(std::move(add_job));
  if (result != AccountWrite::done) co_return std::nullopt;
  co_return password;
}

}  // namespace xz::store
