#include "http/console_sessions.h"

#include "protocol/encoding.h"

namespace xz::http {

namespace {

constexpr std::size_t kRandomBytes = 32;

std::string key_of(std::string_view id) { return protocol::sha256(id); }

}  // namespace

bool ConsoleSessions::expired(const ConsoleSession& s, Clock::time_point now) const {
  return now - s.last_used >= limits_.idle || now - s.created >= limits_.lifetime;
}

ConsoleSessions::Created ConsoleSessions::create(std::string username, store::AccountRole role, Clock::time_point now) {
  Created c;
  c.id = protocol::base64url_encode(protocol::random_bytes(kRandomBytes), false);
  c.session = ConsoleSession{std::move(username), role,
                             protocol::base64url_encode(protocol::random_bytes(kRandomBytes), false), now, now};
  std::lock_guard lock(mu_);
  if (limits_.max_sessions == 0) return c;
  while (order_.size() >= limits_.max_sessions) {
    index_.erase(order_.back().key);
    order_.pop_back();
  }
  order_.push_front(Entry{key_of(c.id), c.session});
  index_[order_.front().key] = order_.begin();
  return c;
}

std::optional<ConsoleSession> ConsoleSessions::find(std::string_view id, Clock::time_point now) {
  if (id.empty()) return std::nullopt;
  const std::string key = key_of(id);
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  if (expired(it->second->session, now)) {
    order_.erase(it->second);
    index_.erase(it);
    return std::nullopt;
  }
  it->second->session.last_used = now;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->session;
}

void ConsoleSessions::end(std::string_view id) {
  const std::string key = key_of(id);
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return;
  order_.erase(it->second);
  index_.erase(it);
}

std::size_t ConsoleSessions::end_user(std::string_view username, std::string_view keep) {
  const std::string keep_key = keep.empty() ? std::string() : key_of(keep);
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (auto it = order_.begin(); it != order_.end();) {
    if (it->session.username == username && it->key != keep_key) {
      index_.erase(it->key);
      it = order_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

std::size_t ConsoleSessions::size() const {
  std::lock_guard lock(mu_);
  return order_.size();
}

}  // namespace xz::http
