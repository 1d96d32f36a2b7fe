#pragma once
// A thin RAII layer over one SQLite connection: open with the server's pragmas,
// prepared statements with typed binds and reads, and a scoped transaction.
// Blocking: use it on the store's executor or in a command-line tool, never on a loop.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace xz::store {

class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(Statement&& o) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds are 1-based, as in SQL "?" order.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind_null(int index);
  Statement& bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // True when a row is available, false when the statement is done.
  bool step();
  // Runs a statement that returns no rows.
  void run();

  // Columns are 0-based.
  std::string text(int column) const;
  std::int64_t int64(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  // Opens (creating if missing) the file and applies the connection settings:
  // WAL journal, NORMAL sync, foreign keys, a busy timeout for other processes
  // (the `devices` command) writing at the same time.
  explicit Database(const std::string& path);
  ~Database();
  Database(Database&& o) noexcept;
  Database& operator=(Database&&) = delete;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Statement prepare(std::string_view sql) { return Statement(db_, sql); }
  // Runs one or more statements without results.
  void exec(const std::string& sql);
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int changes() const;

  // PRAGMA user_version: the schema version the migrations have reached.
  int user_version();
  void set_user_version(int v);
  std::string journal_mode();
  // Moves the WAL into the main file; used when the store closes.
  void checkpoint();

  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// BEGIN IMMEDIATE (the write lock up front, so two writers never deadlock on
// upgrade) ... commit(); rolled back when it goes out of scope uncommitted.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace xz::store
