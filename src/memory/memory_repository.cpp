#include "memory/memory_repository.h"

namespace xz::memory {

std::optional<StoredMemory> MemoryRepository::find(std::string_view device_id) {
  auto st = db_.prepare("SELECT device_id, memory, updated_ms, summaries FROM device_memory WHERE device_id = ?1");
  st.bind(1, device_id);
  if (!st.step()) return std::nullopt;
  return StoredMemory{st.text(0), st.text(1), st.int64(2), st.int64(3)};
}

void MemoryRepository::save(std::string_view device_id, std::string_view text, std::int64_t updated_ms) {
  if (device_id.empty()) throw store::DatabaseError("memory: empty device id");
  db_.prepare(
         "INSERT INTO device_memory (device_id, memory, updated_ms, summaries) VALUES (?1, ?2, ?3, 1) "
         "ON CONFLICT (device_id) DO UPDATE SET memory = excluded.memory, updated_ms = excluded.updated_ms, "
         "summaries = summaries + 1")
      .bind(1, device_id)
      .bind(2, text)
      .bind(3, updated_ms)
      .run();
}

bool MemoryRepository::erase(std::string_view device_id) {
  db_.prepare("DELETE FROM device_memory WHERE device_id = ?1").bind(1, device_id).run();
  return db_.changes() > 0;
}

}  // namespace xz::memory
