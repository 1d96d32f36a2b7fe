#pragma once
// Logged-in console sessions, kept in memory: a random id (the cookie) maps to the
// account, its role and the session's CSRF token. Bounded: at most max_sessions live,
// the least recently used goes first; a session ends after `idle` without a request or
// `lifetime` after login, whichever comes first. Ids are kept only as SHA-256 digests.
// Thread-safe (every HTTP loop asks).
#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/account_repository.h"

namespace xz::http {

struct SessionLimits {
  std::chrono::seconds idle{1800};
  std::chrono::seconds lifetime{43200};
  std::size_t max_sessions = 1000;
};

struct ConsoleSession {
  std::string username;
  store::AccountRole role = store::AccountRole::viewer;
  std::string csrf_token;
  std::chrono::steady_clock::time_point created;
  std::chrono::steady_clock::time_point last_used;
};

class ConsoleSessions {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ConsoleSessions(SessionLimits limits) : limits_(limits) {}

  struct Created {
    std::string id;  // for the cookie; not kept
    ConsoleSession session;
  };
  Created create(std::string username, store::AccountRole role, Clock::time_point now);
  // The live session with this id (its idle time restarts); nullopt when unknown or expired.
  std::optional<ConsoleSession> find(std::string_view id, Clock::time_point now);
  void end(std::string_view id);
  // Ends every session of `username` but the one with id `keep`; returns how many ended.
  std::size_t end_user(std::string_view username, std::string_view keep = {});
  std::size_t size() const;
  const SessionLimits& limits() const { return limits_; }

 private:
  struct Entry {
    std::string key;
    ConsoleSession session;
  };
  bool expired(const ConsoleSession& s, Clock::time_point now) const;

  SessionLimits limits_;
  mutable std::mutex mu_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace xz::http
