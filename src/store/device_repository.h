#pragma once
// Device and activation-code queries over one open database. Blocking: the async
// Store runs these on its executor; the `devices` command calls them directly.
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "store/database.h"
#include "store/agent_records.h"
#include "store/device_records.h"

namespace xz::store {

class DeviceRepository {
 public:
  explicit DeviceRepository(Database& db) : db_(db) {}

  // Inserts the device or refreshes it (client id, board, version, last_seen).
  DeviceRecord record_seen(const DeviceSighting& s);
  std::optional<DeviceRecord> find(std::string_view device_id);
  // Most recently seen first.
  std::vector<DeviceRecord> list(std::size_t limit);
  // Those whose id contains `search` (case-insensitive), most recently seen first.
  std::vector<DeviceRecord> search(std::string_view search, std::size_t limit);

  // Sets the device's agent (nullopt = the default agent) when its revision is
  // `revision`. The agent must exist (the foreign key refuses others: DatabaseError).
  Saved<DeviceRecord> assign_agent(std::string_view device_id, std::optional<std::int64_t> agent_id,
                                   std::int64_t revision);
  // The device is unbound (it must be activated again) and loses its agent; nullopt
  // when there is no such device.
  std::optional<DeviceRecord> unbind(std::string_view device_id);

  // The device's unexpired code, else a new unique one valid for `ttl_seconds`;
  // the device becomes `pending`. Expired codes of every device are purged.
  // Throws DatabaseError for a device that was never recorded.
  ActivationCode activation_code_for(std::string_view device_id, std::int64_t now, std::int64_t ttl_seconds);

  // Binds the device holding `code`; its codes are then deleted.
  BindResult bind(std::string_view code, std::int64_t now);

 private:
  Database& db_;
};

}  // namespace xz::store
