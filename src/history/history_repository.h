#pragma once
// Chat-history queries over one open database (tables of migration 3). Blocking: the
// ChatHistory writer runs these on the store's executor; the `history` command calls
// them directly.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "history/turn_record.h"
#include "store/database.h"

namespace xz::history {

class HistoryRepository {
 public:
  explicit HistoryRepository(store::Database& db) : db_(db) {}

  // Inserts the turns (with their tool calls and, when present, their audio) in one
  // transaction, then keeps only the newest `max_turns_per_device` turns of every
  // device it touched (0 = no limit). Throws store::DatabaseError, and
  // std::invalid_argument for a turn without a device id; nothing is written then.
  // with_audio = false leaves the turns' audio out.
  void insert(std::span<const TurnRecord> turns, std::size_t max_turns_per_device, bool with_audio = true);

  // The newest `limit` turns of the device, oldest first, without their audio.
  std::vector<StoredTurn> recent(std::string_view device_id, std::size_t limit);
  // The stored Opus packets of one turn (empty when it has none).
  std::vector<std::string> audio(std::int64_t turn_id);
  std::size_t count(std::string_view device_id);

 private:
  store::Database& db_;
};

// For the CLI: HistoryRepository(db).recent(device_id, limit).
std::vector<StoredTurn> recent_turns(store::Database& db, std::string_view device_id, std::size_t limit);

}  // namespace xz::history
