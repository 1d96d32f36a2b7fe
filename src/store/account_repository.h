#pragma once
// Console accounts over one open database (table of migration 4). Blocking: the async
// Accounts service runs these on the store's executor; the `admin` command calls them
// directly. Times are Unix seconds; every write bumps the row's revision, and a write
// given an expected revision that is no longer current changes nothing (stale).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"

namespace xz::store {

enum class AccountRole { admin, viewer };  // viewer: read-only
std::string_view to_string(AccountRole r);
std::optional<AccountRole> parse_account_role(std::string_view s);

struct Account {
  std::string username;
  std::string password_hash;  // store/password_hash.h encoding
  AccountRole role = AccountRole::viewer;
  std::int64_t created = 0;
  std::int64_t updated = 0;
  std::int64_t revision = 1;
};

enum class AccountWrite {
  done,
  missing,     // no such account
  taken,       // add: the name is in use
  stale,       // the expected revision is not the current one
  last_admin,  // the change would leave no admin
};

// 1-64 characters of [A-Za-z0-9._@-]: safe in logs, URLs and cookies.
bool valid_username(std::string_view name);

class AccountRepository {
 public:
  explicit AccountRepository(Database& db) : db_(db) {}

  std::optional<Account> find(std::string_view username);
  // By name.
  std::vector<Account> list();
  std::int64_t count_admins();

  AccountWrite add(const Account& account);
  // Adds `account` (an admin) only while no admin exists, in one transaction, so the
  // server's first start and an `admin add-user` at the same moment make one admin.
  AccountWrite add_first_admin(const Account& account);
  AccountWrite set_password(std::string_view username, std::string_view password_hash, std::int64_t now,
                            std::optional<std::int64_t> expected_revision = std::nullopt);
  AccountWrite set_role(std::string_view username, AccountRole role, std::int64_t now,
                        std::optional<std::int64_t> expected_revision = std::nullopt);
  AccountWrite remove(std::string_view username, std::optional<std::int64_t> expected_revision = std::nullopt);

 private:
  Database& db_;
};

}  // namespace xz::store
