#include "store/account_repository.h"

namespace xz::store {

namespace {

constexpr const char* kColumns = "username, password_hash, role, created, updated, revision";

Account read_account(const Statement& st) {
  Account a;
  a.username = st.text(0);
  a.password_hash = st.text(1);
  a.role = parse_account_role(st.text(2)).value_or(AccountRole::viewer);
  a.created = st.int64(3);
  a.updated = st.int64(4);
  a.revision = st.int64(5);
  return a;
}

// What a write to an existing row should answer, checked inside its transaction.
std::optional<AccountWrite> precondition(AccountRepository& repo, std::string_view username,
                                         std::optional<std::int64_t> expected_revision, Account& current) {
  auto found = repo.find(username);
  if (!found) return AccountWrite::missing;
  if (expected_revision && *expected_revision != found->revision) return AccountWrite::stale;
  current = std::move(*found);
  return std::nullopt;
}

}  // namespace

std::string_view to_string(AccountRole r) { return r == AccountRole::admin ? "admin" : "viewer"; }

std::optional<AccountRole> parse_account_role(std::string_view s) {
  if (s == "admin") return AccountRole::admin;
  if (s == "viewer") return AccountRole::viewer;
  return std::nullopt;
}

bool valid_username(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<Account> AccountRepository::find(std::string_view username) {
  auto st = db_.prepare(std::string("SELECT ") + kColumns + " FROM accounts WHERE username = ?");
  st.bind(1, username);
  if (!st.step()) return std::nullopt;
  return read_account(st);
}

std::vector<Account> AccountRepository::list() {
  auto st = db_.prepare(std::string("SELECT ") + kColumns + " FROM accounts ORDER BY username");
  std::vector<Account> out;
  while (st.step()) out.push_back(read_account(st));
  return out;
}

std::int64_t AccountRepository::count_admins() {
  auto st = db_.prepare("SELECT COUNT(*) FROM accounts WHERE role = 'admin'");
  return st.step() ? st.int64(0) : 0;
}

AccountWrite AccountRepository::add(const Account& a) {
  auto st = db_.prepare(
      "INSERT INTO accounts (username, password_hash, role, created, updated, revision) VALUES (?, ?, ?, ?, ?, 1) "
      "ON CONFLICT(username) DO NOTHING");
  st.bind(1, a.username).bind(2, a.password_hash).bind(3, to_string(a.role)).bind(4, a.created).bind(5, a.created);
  st.run();
  return db_.changes() == 1 ? AccountWrite::done : AccountWrite::taken;
}

AccountWrite AccountRepository::add_first_admin(const Account& a) {
  Transaction tx(db_);
  if (count_admins() > 0) return AccountWrite::taken;
  Account admin = a;
  admin.role = AccountRole::admin;
  auto r = add(admin);
  if (r == AccountWrite::done) tx.commit();
  return r;
}

AccountWrite AccountRepository::set_password(std::string_view username, std::string_view password_hash,
                                             std::int64_t now, std::optional<std::int64_t> expected_revision) {
  Transaction tx(db_);
  Account current;
  if (auto r = precondition(*this, username, expected_revision, current)) return *r;
  auto st = db_.prepare(
      "UPDATE accounts SET password_hash = ?, updated = ?, revision = revision + 1 WHERE username = ?");
  st.bind(1, password_hash).bind(2, now).bind(3, username);
  st.run();
  tx.commit();
  return AccountWrite::done;
}

AccountWrite AccountRepository::set_role(std::string_view username, AccountRole role, std::int64_t now,
                                         std::optional<std::int64_t> expected_revision) {
  Transaction tx(db_);
  Account current;
  if (auto r = precondition(*this, username, expected_revision, current)) return *r;
  if (current.role == AccountRole::admin && role != AccountRole::admin && count_admins() <= 1)
    return AccountWrite::last_admin;
  auto st = db_.prepare("UPDATE accounts SET role = ?, updated = ?, revision = revision + 1 WHERE username = ?");
  st.bind(1, to_string(role)).bind(2, now).bind(3, username);
  st.run();
  tx.commit();
  return AccountWrite::done;
}

AccountWrite AccountRepository::remove(std::string_view username, std::optional<std::int64_t> expected_revision) {
  Transaction tx(db_);
  Account current;
  if (auto r = precondition(*this, username, expected_revision, current)) return *r;
  if (current.role == AccountRole::admin && count_admins() <= 1) return AccountWrite::last_admin;
  auto st = db_.prepare("DELETE FROM accounts WHERE username = ?");
  st.bind(1, username);
  st.run();
  tx.commit();
  return AccountWrite::done;
}

}  // namespace xz::store
