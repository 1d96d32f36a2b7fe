#pragma once
// Agents and the device-to-agent binding over one open database. Blocking: the HTTP
// API runs these on the store's executor (Store::run). Every change to an agent or a
// device's binding bumps its revision; a save that names another revision than the
// stored one changes nothing and returns the stored object.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/agent_records.h"
#include "store/database.h"

namespace xz::store {

class AgentRepository {
 public:
  explicit AgentRepository(Database& db) : db_(db) {}

  // Name contains `search` (case-insensitive, "" = all); templates only when asked.
  std::vector<AgentRecord> list(std::string_view search, bool templates_only, std::size_t limit);
  std::optional<AgentRecord> find(std::int64_t id);
  // id, revision (1), created and updated are set here.
  AgentRecord create(AgentRecord a, std::int64_t now);
  // Replaces every editable field of agent a.id when its revision is `a.revision`.
  Saved<AgentRecord> update(const AgentRecord& a, std::int64_t now);
  // Devices bound to it fall back to the default agent. False when there was none.
  bool remove(std::int64_t id);
  // A copy under `name` (the source's name + " (copy)" when empty), not a template.
  std::optional<AgentRecord> clone(std::int64_t id, std::string name, std::int64_t now);

  // The agent of a device (nullopt: unbound, unknown, or on the default agent).
  std::optional<AgentRecord> agent_of_device(std::string_view device_id);

 private:
  Database& db_;
};

}  // namespace xz::store
