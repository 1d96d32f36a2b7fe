// Agents and device bindings in a real SQLite file: revisions move by one per save, a
// save on an old revision changes nothing, deleting an agent returns its devices to
// the default agent, and the device-to-agent lookup the profile source uses.
#include <gtest/gtest.h>

#include "store/agent_repository.h"
#include "store/device_repository.h"
#include "store/migrations.h"
#include "store_test_util.h"

using namespace xz::store;

namespace {

struct Db {
  xz::test::TempDir dir;
  Database db{dir.file("x.db")};
  Db() { migrate(db); }
};

}  // namespace

TEST(AgentRepository, RevisionsMoveByOneAndAStaleSaveChangesNothing) {
  Db d;
  AgentRepository agents(d.db);
  AgentRecord a;
  a.name = "Pirate";
  a.prompt = "Arr.";
  a.engines = {{"tts", "FliteTTS"}};
  auto made = agents.create(a, 100);
  EXPECT_EQ(made.revision, 1);
  EXPECT_EQ(made.created, 100);
  EXPECT_EQ(made.engines["tts"], "FliteTTS");

  made.prompt = "Arr, politely.";
  auto saved = agents.update(made, 200);
  ASSERT_EQ(saved.outcome, SaveOutcome::saved);
  EXPECT_EQ(saved.current->revision, 2);
  EXPECT_EQ(saved.current->updated, 200);

  made.prompt = "stale";  // still revision 1
  auto stale = agents.update(made, 300);
  EXPECT_EQ(stale.outcome, SaveOutcome::stale_revision);
  EXPECT_EQ(stale.current->prompt, "Arr, politely.");
  EXPECT_EQ(agents.find(made.id)->revision, 2);

  made.id = 999;
  EXPECT_EQ(agents.update(made, 300).outcome, SaveOutcome::not_found);
}

TEST(AgentRepository, DevicesFollowTheirAgentAndFallBackWhenItIsDeleted) {
  Db d;
  AgentRepository agents(d.db);
  DeviceRepository devices(d.db);
  devices.record_seen({"AA:BB:CC:DD:EE:01", "", "", "", 10});
  AgentRecord a;
  a.name = "Helper";
  auto made = agents.create(a, 10);
  EXPECT_FALSE(agents.agent_of_device("aa:bb:cc:dd:ee:01"));

  auto dev = *devices.find("AA:BB:CC:DD:EE:01");
  auto assigned = devices.assign_agent(dev.device_id, made.id, dev.revision);
  ASSERT_EQ(assigned.outcome, SaveOutcome::saved);
  EXPECT_EQ(assigned.current->revision, dev.revision + 1);
  EXPECT_EQ(devices.assign_agent(dev.device_id, std::nullopt, dev.revision).outcome, SaveOutcome::stale_revision);
  ASSERT_TRUE(agents.agent_of_device("aa:bb:cc:dd:ee:01")) << "looked up whatever the case of the id";
  EXPECT_EQ(agents.agent_of_device("aa:bb:cc:dd:ee:01")->id, made.id);
  EXPECT_THROW(devices.assign_agent(dev.device_id, 12345, dev.revision + 1), DatabaseError)
      << "the foreign key refuses an agent that does not exist";

  EXPECT_TRUE(agents.remove(made.id));
  EXPECT_FALSE(agents.remove(made.id));
  EXPECT_FALSE(agents.agent_of_device("aa:bb:cc:dd:ee:01"));
  EXPECT_FALSE(devices.find("AA:BB:CC:DD:EE:01")->agent_id);
}
