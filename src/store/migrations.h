#pragma once
// Schema migrations: numbered steps from version 1, tracked in PRAGMA user_version.
// Each step runs in its own transaction together with the version bump, so a failed
// step leaves the database exactly at the previous version.
#include <span>
#include <string_view>

#include "store/database.h"

namespace xz::store {

struct Migration {
  int version;               // 1, 2, 3, ... in order
  std::string_view summary;  // for logs
  std::string_view sql;      // one or more statements
};

// The server's schema, oldest first. Append new steps; never edit a released one.
std::span<const Migration> schema_migrations();

// Brings the database up to the last step and returns its version. Throws
// DatabaseError when a step fails or the file is newer than `steps` knows.
int migrate(Database& db, std::span<const Migration> steps = schema_migrations());

}  // namespace xz::store
