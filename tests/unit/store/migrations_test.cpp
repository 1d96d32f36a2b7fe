#include <gtest/gtest.h>

#include "store/database.h"
#include "store/migrations.h"
#include "store_test_util.h"

using xz::store::Database;
using xz::store::DatabaseError;
using xz::store::migrate;
using xz::store::Migration;

namespace {

bool has_table(Database& db, const std::string& name) {
  auto st = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
  st.bind(1, name);
  return st.step();
}

}  // namespace

TEST(Migrations, EmptyDatabaseReachesTheLatestVersionAndReopenKeepsData) {
  xz::test::TempDir dir;
  const auto path = dir.file("x.db");
  const int latest = static_cast<int>(xz::store::schema_migrations().size());
  ASSERT_GE(latest, 1);
  {
    Database db(path);
    EXPECT_EQ(db.user_version(), 0);
    EXPECT_EQ(migrate(db), latest);
    EXPECT_EQ(db.user_version(), latest);
    EXPECT_TRUE(has_table(db, "devices"));
    EXPECT_TRUE(has_table(db, "activation_codes"));
    db.exec("INSERT INTO devices (device_id, first_seen, last_seen) VALUES ('aa:bb', 1, 1)");
  }
  Database again(path);
  EXPECT_EQ(again.user_version(), latest);
  EXPECT_EQ(migrate(again), latest) << "re-running on a migrated file is a no-op";
  auto st = again.prepare("SELECT count(*) FROM devices");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.int64(0), 1);
}

TEST(Migrations, JournalIsWal) {
  xz::test::TempDir dir;
  const auto path = dir.file("x.db");
  {
    Database db(path);
    migrate(db);
    EXPECT_EQ(db.journal_mode(), "wal");
  }
  // WAL is a property of the file: a new connection sees it without asking for it.
  Database db(path);
  EXPECT_EQ(db.journal_mode(), "wal");
}

TEST(Migrations, StepsApplyInOrderFromTheCurrentVersion) {
  xz::test::TempDir dir;
  Database db(dir.file("x.db"));
  const Migration v1[] = {{1, "a", "CREATE TABLE a (x INTEGER)"}};
  EXPECT_EQ(migrate(db, v1), 1);
  db.exec("INSERT INTO a VALUES (7)");
  const Migration v2[] = {{1, "a", "CREATE TABLE a (x INTEGER)"},
                          {2, "b", "ALTER TABLE a ADD COLUMN y TEXT DEFAULT 'z'; CREATE TABLE b (x)"}};
  EXPECT_EQ(migrate(db, v2), 2) << "step 1 must not run again (it would fail: table a exists)";
  auto st = db.prepare("SELECT x, y FROM a");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.int64(0), 7);
  EXPECT_EQ(st.text(1), "z");
  EXPECT_TRUE(has_table(db, "b"));
}

TEST(Migrations, AFailingStepLeavesThePreviousVersionUntouched) {
  xz::test::TempDir dir;
  Database db(dir.file("x.db"));
  const Migration steps[] = {{1, "ok", "CREATE TABLE a (x)"},
                             {2, "broken", "CREATE TABLE b (x); INSERT INTO missing VALUES (1)"}};
  try {
    migrate(db, steps);
    FAIL() << "expected DatabaseError";
  } catch (const DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("migration 2 (broken)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(db.user_version(), 1);
  EXPECT_TRUE(has_table(db, "a"));
  EXPECT_FALSE(has_table(db, "b")) << "the half-applied step was rolled back";
}

TEST(Migrations, ANewerFileIsRefused) {
  xz::test::TempDir dir;
  Database db(dir.file("x.db"));
  db.set_user_version(99);
  EXPECT_THROW(migrate(db), DatabaseError);
}

TEST(Migrations, MisnumberedStepsAreRefused) {
  xz::test::TempDir dir;
  Database db(dir.file("x.db"));
  const Migration steps[] = {{1, "a", "CREATE TABLE a (x)"}, {3, "c", "CREATE TABLE c (x)"}};
  EXPECT_THROW(migrate(db, steps), DatabaseError);
  EXPECT_EQ(db.user_version(), 0);
}

TEST(Database, BadPathIsAClearError) {
  try {
    Database db("/proc/definitely/not/here.db");
    FAIL() << "expected DatabaseError";
  } catch (const DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/definitely/not/here.db"), std::string::npos) << e.what();
  }
}
