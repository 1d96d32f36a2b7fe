#pragma once
// The per-device memory table (migration 2). Blocking: run on the store's executor
// (store::Store::run) or from a command-line tool.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/database.h"

namespace xz::memory {

struct StoredMemory {
  std::string device_id;
  std::string text;
  std::int64_t updated_ms = 0;  // unix ms
  std::int64_t summaries = 0;   // how many dialogues went into it
};

class MemoryRepository {
 public:
  explicit MemoryRepository(store::Database& db) : db_(db) {}

  std::optional<StoredMemory> find(std::string_view device_id);
  // Replaces the device's memory and counts one more summary.
  void save(std::string_view device_id, std::string_view text, std::int64_t updated_ms);
  // True when the device had a memory.
  bool erase(std::string_view device_id);

 private:
  store::Database& db_;
};

}  // namespace xz::memory
