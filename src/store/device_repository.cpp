#include "store/device_repository.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstdio>

namespace xz::store {

namespace {

constexpr const char* kDeviceColumns =
    "device_id, client_id, board, firmware_version, first_seen, last_seen, activation_state, bound_at, agent_id, "
    "revision";

DeviceRecord read_device(const Statement& st) {
  DeviceRecord r;
  r.device_id = st.text(0);
  r.client_id = st.text(1);
  r.board = st.text(2);
  r.firmware_version = st.text(3);
  r.first_seen = st.int64(4);
  r.last_seen = st.int64(5);
  r.activation = parse_activation_state(st.text(6)).value_or(ActivationState::unbound);
  r.bound_at = st.optional_int64(7);
  r.agent_id = st.optional_int64(8);
  r.revision = st.int64(9);
  return r;
}

void random_bytes(unsigned char* out, int n) {
  if (RAND_bytes(out, n) != 1) throw DatabaseError("no randomness available for an activation code");
}

// Six digits, uniform: values at or above the largest multiple of 10^6 are redrawn.
std::string random_code() {
  constexpr std::uint32_t kLimit = 4294000000u;
  for (;;) {
    std::array<unsigned char, 4> b{};
    random_bytes(b.data(), 4);
    std::uint32_t v = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
    if (v >= kLimit) continue;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%06u", static_cast<unsigned>(v % 1000000u));
    return buf;
  }
}

std::string random_challenge() {
  std::array<unsigned char, 16> b{};
  random_bytes(b.data(), static_cast<int>(b.size()));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (auto c : b) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace

std::string_view to_string(ActivationState s) {
  switch (s) {
    case ActivationState::unbound:
      return "unbound";
    case ActivationState::pending:
      return "pending";
    case ActivationState::bound:
      return "bound";
  }
  return "unbound";
}

std::optional<ActivationState> parse_activation_state(std::string_view s) {
  if (s == "unbound") return ActivationState::unbound;
  if (s == "pending") return ActivationState::pending;
  if (s == "bound") return ActivationState::bound;
  return std::nullopt;
}

DeviceRecord DeviceRepository::record_seen(const DeviceSighting& s) {
  if (s.device_id.empty()) throw DatabaseError("record_seen: empty device id");
  db_.prepare(
         "INSERT INTO devices (device_id, client_id, board, firmware_version, first_seen, last_seen) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?5) "
         "ON CONFLICT (device_id) DO UPDATE SET "
         "  client_id = CASE WHEN excluded.client_id <> '' THEN excluded.client_id ELSE client_id END, "
         "  board = CASE WHEN excluded.board <> '' THEN excluded.board ELSE board END, "
         "  firmware_version = CASE WHEN excluded.firmware_version <> '' "
         "                     THEN excluded.firmware_version ELSE firmware_version END, "
         "  last_seen = excluded.last_seen")
      .bind(1, s.device_id)
      .bind(2, s.client_id)
      .bind(3, s.board)
      .bind(4, s.firmware_version)
      .bind(5, s.at)
      .run();
  auto r = find(s.device_id);
  if (!r) throw DatabaseError("device " + s.device_id + " vanished right after it was recorded");
  return *r;
}

std::optional<DeviceRecord> DeviceRepository::find(std::string_view device_id) {
  auto st = db_.prepare(std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE device_id = ?1");
  st.bind(1, device_id);
  if (!st.step()) return std::nullopt;
  return read_device(st);
}

std::vector<DeviceRecord> DeviceRepository::list(std::size_t limit) {
  auto st = db_.prepare(std::string("SELECT ") + kDeviceColumns +
                        " FROM devices ORDER BY last_seen DESC, device_id LIMIT ?1");
  st.bind(1, static_cast<std::int64_t>(limit));
  std::vector<DeviceRecord> out;
  while (st.step()) out.push_back(read_device(st));
  return out;
}

ActivationCode DeviceRepository::activation_code_for(std::string_view device_id, std::int64_t now,
                                                     std::int64_t ttl_seconds) {
  Transaction tx(db_);
  db_.prepare("DELETE FROM activation_codes WHERE expires <= ?1").bind(1, now).run();

  auto existing = db_.prepare(
      "SELECT code, device_id, challenge, created, expires FROM activation_codes "
      "WHERE device_id = ?1 ORDER BY expires DESC LIMIT 1");
  existing.bind(1, device_id);
  if (existing.step()) {
    ActivationCode c{existing.text(0), existing.text(1), existing.text(2), existing.int64(3), existing.int64(4)};
    tx.commit();
    return c;
  }

  if (!find(device_id)) throw DatabaseError("activation code for unknown device " + std::string(device_id));

  ActivationCode c;
  c.device_id = std::string(device_id);
  c.challenge = random_challenge();
  c.created = now;
  c.expires = now + ttl_seconds;
  // Live codes are few, so a collision is rare; a handful of draws is plenty.
  for (int attempt = 0;; ++attempt) {
    c.code = random_code();
    auto taken = db_.prepare("SELECT 1 FROM activation_codes WHERE code = ?1");
    taken.bind(1, c.code);
    if (!taken.step()) break;
    if (attempt == 50) throw DatabaseError("no free activation code (too many devices waiting)");
  }
  db_.prepare(
         "INSERT INTO activation_codes (code, device_id, challenge, created, expires) VALUES (?1, ?2, ?3, ?4, ?5)")
      .bind(1, c.code)
      .bind(2, c.device_id)
      .bind(3, c.challenge)
      .bind(4, c.created)
      .bind(5, c.expires)
      .run();
  db_.prepare("UPDATE devices SET activation_state = 'pending' WHERE device_id = ?1 AND activation_state <> 'bound'")
      .bind(1, device_id)
      .run();
  tx.commit();
  return c;
}

BindResult DeviceRepository::bind(std::string_view code, std::int64_t now) {
  Transaction tx(db_);
  auto st = db_.prepare("SELECT device_id, expires FROM activation_codes WHERE code = ?1");
  st.bind(1, code);
  if (!st.step()) return {BindOutcome::unknown_code, {}};
  std::string device_id = st.text(0);
  if (st.int64(1) <= now) {
    db_.prepare("DELETE FROM activation_codes WHERE code = ?1").bind(1, code).run();
    tx.commit();
    return {BindOutcome::expired_code, {}};
  }
  db_.prepare("UPDATE devices SET activation_state = 'bound', bound_at = ?2, revision = revision + 1 WHERE device_id = ?1")
      .bind(1, device_id)
      .bind(2, now)
      .run();
  db_.prepare("DELETE FROM activation_codes WHERE device_id = ?1").bind(1, device_id).run();
  tx.commit();
  return {BindOutcome::bound, device_id};
}

std::vector<DeviceRecord> DeviceRepository::search(std::string_view search, std::size_t limit) {
  auto st = db_.prepare(std::string("SELECT ") + kDeviceColumns +
                        " FROM devices WHERE instr(lower(device_id), lower(?2)) > 0 "
                        "ORDER BY last_seen DESC, device_id LIMIT ?1");
  st.bind(1, static_cast<std::int64_t>(limit));
  st.bind(2, search);
  std::vector<DeviceRecord> out;
  while (st.step()) out.push_back(read_device(st));
  return out;
}

Saved<DeviceRecord> DeviceRepository::assign_agent(std::string_view device_id, std::optional<std::int64_t> agent_id,
                                                   std::int64_t revision) {
  Transaction tx(db_);
  db_.prepare("UPDATE devices SET agent_id = ?2, revision = revision + 1 WHERE device_id = ?1 AND revision = ?3")
      .bind(1, device_id)
      .bind(2, agent_id)
      .bind(3, revision)
      .run();
  const bool changed = db_.changes() == 1;
  auto now = find(device_id);
  tx.commit();
  if (!now) return {SaveOutcome::not_found, std::nullopt};
  return {changed ? SaveOutcome::saved : SaveOutcome::stale_revision, std::move(now)};
}

std::optional<DeviceRecord> DeviceRepository::unbind(std::string_view device_id) {
  Transaction tx(db_);
  db_.prepare(
         "UPDATE devices SET activation_state = 'unbound', bound_at = NULL, agent_id = NULL, "
         "revision = revision + 1 WHERE device_id = ?1")
      .bind(1, device_id)
      .run();
  db_.prepare("DELETE FROM activation_codes WHERE device_id = ?1").bind(1, device_id).run();
  auto now = find(device_id);
  tx.commit();
  return now;
}

}  // namespace xz::store
