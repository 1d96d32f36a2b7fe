#include "store/migrations.h"

#include <string>

namespace xz::store {

namespace {

constexpr Migration kMigrations[] = {
    {1, "devices and activation codes", R"sql(
CREATE TABLE devices (
  device_id        TEXT PRIMARY KEY,
  client_id        TEXT NOT NULL DEFAULT '',
  board            TEXT NOT NULL DEFAULT '',
  firmware_version TEXT NOT NULL DEFAULT '',
  first_seen       INTEGER NOT NULL,
  last_seen        INTEGER NOT NULL,
  activation_state TEXT NOT NULL DEFAULT 'unbound'
                   CHECK (activation_state IN ('unbound', 'pending', 'bound')),
  bound_at         INTEGER
);
CREATE TABLE activation_codes (
  code      TEXT PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices(device_id) ON DELETE CASCADE,
  challenge TEXT NOT NULL,
  created   INTEGER NOT NULL,
  expires   INTEGER NOT NULL
);
CREATE INDEX activation_codes_by_device ON activation_codes(device_id);
)sql"},
    {2, "device memory", R"sql(
CREATE TABLE device_memory (
  device_id  TEXT PRIMARY KEY,
  memory     TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  summaries  INTEGER NOT NULL DEFAULT 0
);
)sql"},
    {3, "chat history", R"sql(
CREATE TABLE chat_turns (
  id                    INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id             TEXT NOT NULL,
  session_id            TEXT NOT NULL,
  started_ms            INTEGER NOT NULL,
  kind                  TEXT NOT NULL,
  user_text             TEXT NOT NULL DEFAULT '',
  assistant_text        TEXT NOT NULL DEFAULT '',
  interrupted           INTEGER NOT NULL DEFAULT 0,
  asr_us                INTEGER,
  llm_first_token_us    INTEGER,
  tts_first_audio_us    INTEGER,
  first_frame_us        INTEGER
);
CREATE INDEX chat_turns_by_device ON chat_turns(device_id, started_ms, id);
CREATE TABLE chat_tool_calls (
  turn_id   INTEGER NOT NULL REFERENCES chat_turns(id) ON DELETE CASCADE,
  seq       INTEGER NOT NULL,
  name      TEXT NOT NULL,
  arguments TEXT NOT NULL DEFAULT '',
  result    TEXT NOT NULL DEFAULT '',
  action    TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (turn_id, seq)
);
CREATE TABLE chat_turn_audio (
  turn_id     INTEGER PRIMARY KEY REFERENCES chat_turns(id) ON DELETE CASCADE,
  codec       TEXT NOT NULL,
  sample_rate INTEGER NOT NULL,
  packets     INTEGER NOT NULL,
  data        BLOB NOT NULL
);
)sql"},
    {4, "console accounts", R"sql(
CREATE TABLE accounts (
  username      TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
  created       INTEGER NOT NULL,
  updated       INTEGER NOT NULL,
  revision      INTEGER NOT NULL DEFAULT 1
);
)sql"},
};

}  // namespace

std::span<const Migration> schema_migrations() { return kMigrations; }

int migrate(Database& db, std::span<const Migration> steps) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].version != static_cast<int>(i) + 1)
      throw DatabaseError("migration list is not numbered 1, 2, 3, ... (step " + std::to_string(i) + " has version " +
                          std::to_string(steps[i].version) + ")");
  }
  const int latest = static_cast<int>(steps.size());
  int version = db.user_version();
  if (version > latest)
    throw DatabaseError(db.path() + " has schema version " + std::to_string(version) +
                        ", newer than this server knows (" + std::to_string(latest) + ")");
  for (const auto& step : steps.subspan(static_cast<std::size_t>(version))) {
    Transaction tx(db);
    try {
      db.exec(std::string(step.sql));
    } catch (const DatabaseError& e) {
      throw DatabaseError("migration " + std::to_string(step.version) + " (" + std::string(step.summary) +
                          ") failed: " + e.what());
    }
    db.set_user_version(step.version);
    tx.commit();
    version = step.version;
  }
  return version;
}

}  // namespace xz::store
