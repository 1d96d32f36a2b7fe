#include "store/accounts.h"

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

Accounts::Task<std::optional<Account>> Accounts::find(std::string username) {
  std::optional<Account> found;
  co_await store_.run([&found, name = std::move(username)](Database& db) { found = AccountRepository(db).find(name); });
  co_return found;
}

Accounts::Task<PasswordCheck> Accounts::check_password(std::string username, std::string password) {
  PasswordCheck out;
  auto slot = take_slot();
  if (!slot) {
    out.outcome = PasswordCheck::Outcome::busy;
    co_return out;
  }
  auto account = co_await find(std::move(username));
  bool right = co_await core::offload(
      pool_, [&, once = dummy_once_, dummy = dummy_hash_, params = hashing_] {
        if (account) return verify_password(password, account->password_hash);
        // An unknown user costs a hash of the same cost as a real one.
        std::call_once(*once, [&] { *dummy = hash_password("not a password", params); });
        (void)verify_password(password, *dummy);
        return false;
      });
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
  std::string hash = co_await core::offload(pool_, [&, params = hashing_] { return hash_password(new_password, params); });
  AccountWrite result = AccountWrite::missing;
  co_await store_.run([&](Database& db) { result = AccountRepository(db).set_password(username, hash, now); });
  co_return result;
}

Accounts::Task<std::optional<std::string>> Accounts::create_first_admin(std::string username, std::int64_t now) {
  bool exists = false;
  co_await store_.run([&](Database& db) { exists = AccountRepository(db).count_admins() > 0; });
  if (exists) co_return std::nullopt;
  std::string password = protocol::random_alnum(20);
  Account a;
  a.username = username;
  a.role = AccountRole::admin;
  a.created = a.updated = now;
  a.password_hash = co_await core::offload(pool_, [&, params = hashing_] { return hash_password(password, params); });
  AccountWrite result = AccountWrite::taken;
  co_await store_.run([&](Database& db) { result = AccountRepository(db).add_first_admin(a); });
  if (result != AccountWrite::done) co_return std::nullopt;
  co_return password;
}

}  // namespace xz::store
