#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "store/database.h"
#include "store/device_repository.h"
#include "store/migrations.h"
#include "store_test_util.h"

using namespace xz::store;

namespace {

struct Fixture {
  xz::test::TempDir dir;
  Database db{dir.file("x.db")};
  DeviceRepository repo{db};
  Fixture() { migrate(db); }
};

DeviceSighting sighting(std::string id, std::int64_t at, std::string board = "bread-compact-wifi",
                        std::string version = "2.4.2") {
  return {std::move(id), "5c1a1c2e-8a8f-4d57-9e8b-2f9f0c0f3a11", std::move(board), std::move(version), at};
}

}  // namespace

TEST(DeviceRepository, FirstSightingInsertsLaterOnesRefresh) {
  Fixture f;
  auto a = f.repo.record_seen(sighting("aa:bb:cc:dd:ee:ff", 1000));
  EXPECT_EQ(a.device_id, "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(a.board, "bread-compact-wifi");
  EXPECT_EQ(a.firmware_version, "2.4.2");
  EXPECT_EQ(a.first_seen, 1000);
  EXPECT_EQ(a.last_seen, 1000);
  EXPECT_EQ(a.activation, ActivationState::unbound);
  EXPECT_FALSE(a.bound_at);

  // An empty board or version (a client that does not report them) keeps the old value.
  auto b = f.repo.record_seen({"aa:bb:cc:dd:ee:ff", "new-client", "", "2.5.0", 2000});
  EXPECT_EQ(b.first_seen, 1000);
  EXPECT_EQ(b.last_seen, 2000);
  EXPECT_EQ(b.client_id, "new-client");
  EXPECT_EQ(b.board, "bread-compact-wifi");
  EXPECT_EQ(b.firmware_version, "2.5.0");

  f.repo.record_seen(sighting("11:22:33:44:55:66", 1500));
  auto all = f.repo.list(10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].device_id, "aa:bb:cc:dd:ee:ff") << "most recently seen first";
  EXPECT_EQ(f.repo.list(1).size(), 1u) << "limit is honoured";
  EXPECT_FALSE(f.repo.find("00:00:00:00:00:00"));
}

TEST(DeviceRepository, ActivationCodeIsSixDigitsStableUntilItExpires) {
  Fixture f;
  f.repo.record_seen(sighting("aa:bb:cc:dd:ee:ff", 1000));
  auto c1 = f.repo.activation_code_for("aa:bb:cc:dd:ee:ff", 1000, 600);
  EXPECT_TRUE(std::regex_match(c1.code, std::regex("[0-9]{6}"))) << c1.code;
  EXPECT_FALSE(c1.challenge.empty());
  EXPECT_EQ(c1.expires, 1600);
  EXPECT_EQ(f.repo.find("aa:bb:cc:dd:ee:ff")->activation, ActivationState::pending);

  auto c2 = f.repo.activation_code_for("aa:bb:cc:dd:ee:ff", 1599, 600);
  EXPECT_EQ(c2.code, c1.code) << "the device keeps showing the same code while it is valid";
  EXPECT_EQ(c2.challenge, c1.challenge);

  auto c3 = f.repo.activation_code_for("aa:bb:cc:dd:ee:ff", 1600, 600);
  EXPECT_EQ(c3.created, 1600) << "an expired code is replaced";
  EXPECT_EQ(c3.expires, 2200);
  EXPECT_EQ(f.repo.bind(c3.code, 1601).outcome, BindOutcome::bound);
}

TEST(DeviceRepository, CodesOfDifferentDevicesDiffer) {
  Fixture f;
  std::set<std::string> codes;
  for (int i = 0; i < 40; ++i) {
    std::string id = "dev-" + std::to_string(i);
    f.repo.record_seen(sighting(id, 1000));
    codes.insert(f.repo.activation_code_for(id, 1000, 600).code);
  }
  EXPECT_EQ(codes.size(), 40u);
}

TEST(DeviceRepository, BindingTurnsTheDeviceBoundAndConsumesTheCode) {
  Fixture f;
  f.repo.record_seen(sighting("aa:bb:cc:dd:ee:ff", 1000));
  auto code = f.repo.activation_code_for("aa:bb:cc:dd:ee:ff", 1000, 600).code;

  EXPECT_EQ(f.repo.bind(code == "000000" ? "000001" : "000000", 1100).outcome, BindOutcome::unknown_code);
  auto r = f.repo.bind(code, 1100);
  EXPECT_EQ(r.outcome, BindOutcome::bound);
  EXPECT_EQ(r.device_id, "aa:bb:cc:dd:ee:ff");
  auto d = f.repo.find("aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(d->activation, ActivationState::bound);
  EXPECT_EQ(d->bound_at.value_or(0), 1100);
  EXPECT_EQ(f.repo.bind(code, 1101).outcome, BindOutcome::unknown_code) << "a code binds once";

  // A later sighting does not undo the binding.
  EXPECT_EQ(f.repo.record_seen(sighting("aa:bb:cc:dd:ee:ff", 1200)).activation, ActivationState::bound);
}

TEST(DeviceRepository, AnExpiredCodeDoesNotBind) {
  Fixture f;
  f.repo.record_seen(sighting("aa:bb:cc:dd:ee:ff", 1000));
  auto code = f.repo.activation_code_for("aa:bb:cc:dd:ee:ff", 1000, 60).code;
  EXPECT_EQ(f.repo.bind(code, 1060).outcome, BindOutcome::expired_code);
  EXPECT_EQ(f.repo.find("aa:bb:cc:dd:ee:ff")->activation, ActivationState::pending);
}

TEST(DeviceRepository, CodeForAnUnknownDeviceIsAnError) {
  Fixture f;
  EXPECT_THROW(f.repo.activation_code_for("never-seen", 1000, 60), DatabaseError);
  EXPECT_THROW(f.repo.record_seen({"", "", "", "", 1}), DatabaseError);
}

TEST(DeviceRepository, TextIsStoredVerbatim) {
  Fixture f;
  // Quotes and non-ASCII survive: values are bound, never spliced into SQL.
  auto r = f.repo.record_seen({"x'); DROP TABLE devices; --", "客户端", "板\"子", "1.0", 5});
  EXPECT_EQ(r.client_id, "客户端");
  EXPECT_EQ(r.board, "板\"子");
  EXPECT_EQ(f.repo.list(10).size(), 1u);
}
