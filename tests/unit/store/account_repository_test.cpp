#include <gtest/gtest.h>

#include "store/account_repository.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store_test_util.h"

using namespace xz::store;

namespace {

struct Fixture {
  xz::test::TempDir dir;
  Database db{dir.file("x.db")};
  AccountRepository repo{db};
  Fixture() { migrate(db); }
};

Account account(std::string name, AccountRole role, std::int64_t at = 1000) {
  Account a;
  a.username = std::move(name);
  a.password_hash = "$scrypt$placeholder";
  a.role = role;
  a.created = a.updated = at;
  return a;
}

}  // namespace

TEST(AccountRepository, AddFindListAndNamesAreUnique) {
  Fixture f;
  EXPECT_EQ(f.repo.add(account("zoe", AccountRole::viewer)), AccountWrite::done);
  EXPECT_EQ(f.repo.add(account("admin", AccountRole::admin)), AccountWrite::done);
  EXPECT_EQ(f.repo.add(account("admin", AccountRole::viewer)), AccountWrite::taken);
  auto a = f.repo.find("admin");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->role, AccountRole::admin);
  EXPECT_EQ(a->revision, 1);
  EXPECT_EQ(a->created, 1000);
  EXPECT_FALSE(f.repo.find("Admin")) << "names are exact";
  auto all = f.repo.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].username, "admin");
  EXPECT_EQ(all[1].username, "zoe");
  EXPECT_EQ(f.repo.count_admins(), 1);
}

TEST(AccountRepository, WritesBumpTheRevisionAndAStaleRevisionChangesNothing) {
  Fixture f;
  f.repo.add(account("admin", AccountRole::admin));
  f.repo.add(account("bob", AccountRole::viewer));
  EXPECT_EQ(f.repo.set_password("bob", "$scrypt$new", 2000, 1), AccountWrite::done);
  auto b = f.repo.find("bob");
  EXPECT_EQ(b->revision, 2);
  EXPECT_EQ(b->updated, 2000);
  EXPECT_EQ(b->password_hash, "$scrypt$new");
  EXPECT_EQ(f.repo.set_role("bob", AccountRole::admin, 3000, 1), AccountWrite::stale);
  EXPECT_EQ(f.repo.find("bob")->role, AccountRole::viewer);
  EXPECT_EQ(f.repo.set_role("bob", AccountRole::admin, 3000, 2), AccountWrite::done);
  EXPECT_EQ(f.repo.find("bob")->revision, 3);
  EXPECT_EQ(f.repo.remove("bob", 2), AccountWrite::stale);
  EXPECT_EQ(f.repo.set_password("nobody", "x", 1), AccountWrite::missing);
}

TEST(AccountRepository, TheLastAdminCanBeNeitherRemovedNorDemoted) {
  Fixture f;
  f.repo.add(account("root", AccountRole::admin));
  f.repo.add(account("eve", AccountRole::viewer));
  EXPECT_EQ(f.repo.remove("root"), AccountWrite::last_admin);
  EXPECT_EQ(f.repo.set_role("root", AccountRole::viewer, 2), AccountWrite::last_admin);
  EXPECT_EQ(f.repo.remove("eve"), AccountWrite::done);
  f.repo.add(account("second", AccountRole::admin));
  EXPECT_EQ(f.repo.remove("root"), AccountWrite::done);
  EXPECT_FALSE(f.repo.find("root"));
}

TEST(AccountRepository, FirstAdminIsAddedOnlyWhileThereIsNone) {
  Fixture f;
  f.repo.add(account("viewer", AccountRole::viewer));
  EXPECT_EQ(f.repo.add_first_admin(account("admin", AccountRole::viewer)), AccountWrite::done);
  EXPECT_EQ(f.repo.find("admin")->role, AccountRole::admin);
  EXPECT_EQ(f.repo.add_first_admin(account("other", AccountRole::admin)), AccountWrite::taken);
  EXPECT_FALSE(f.repo.find("other"));
}

TEST(AccountRepository, UserNamesAreSafeCharacters) {
  EXPECT_TRUE(valid_username("admin"));
  EXPECT_TRUE(valid_username("ops.team-1_x@lab"));
  for (std::string bad : {std::string(), std::string(65, 'a'), std::string("a b"), std::string("a;b"),
                          std::string("名字"), std::string("a\nb")})
    EXPECT_FALSE(valid_username(bad)) << bad;
}
