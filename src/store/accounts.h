#pragma once
// Console accounts for the HTTP layer: password checks and changes with the slow hash
// on the worker pool and the SQL on the store's executor, so no event loop waits on
// either. A bounded number of hashes run at once (each takes 128*r*N bytes): more
// answer `busy` at once instead of queueing memory.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "store/account_repository.h"
#include "store/password_hash.h"

namespace boost::asio {
class thread_pool;
}

namespace xz::store {

class Store;

struct PasswordCheck {
  enum class Outcome { ok, wrong, busy } outcome = Outcome::wrong;
  std::optional<Account> account;  // set when ok
};

class Accounts {
 public:
  template <class T>
  using Task = boost::asio::awaitable<T>;

  Accounts(Store& store, boost::asio::thread_pool& pool, ScryptParams hashing, std::size_t max_concurrent_hashes = 4);

  // `wrong` for an unknown user too, after the same amount of hashing, so neither the
  // answer nor its timing says whether the account exists.
  Task<PasswordCheck> check_password(std::string username, std::string password);
  Task<std::optional<Account>> find(std::string username);
  // Hashes with the configured cost and stores; nullopt when busy.
  Task<std::optional<AccountWrite>> set_password(std::string username, std::string new_password, std::int64_t now);
  // The first start: when no admin exists, adds `username` as admin with a random
  // password and returns that password (the only time it is ever visible).
  Task<std::optional<std::string>> create_first_admin(std::string username, std::int64_t now);

  const ScryptParams& hashing() const { return hashing_; }

 private:
  struct HashSlot;
  std::optional<HashSlot> take_slot();

  Store& store_;
  boost::asio::thread_pool& pool_;
  ScryptParams hashing_;
  std::size_t max_hashes_;
  std::shared_ptr<std::atomic<std::size_t>> hashing_now_ = std::make_shared<std::atomic<std::size_t>>(0);
  std::shared_ptr<std::once_flag> dummy_once_ = std::make_shared<std::once_flag>();
  std::shared_ptr<std::string> dummy_hash_ = std::make_shared<std::string>();
};

// Passwords the console and the CLI accept: 8-1024 bytes (the upper bound keeps one
// hash's input small).
bool acceptable_password(std::string_view password);

}  // namespace xz::store
