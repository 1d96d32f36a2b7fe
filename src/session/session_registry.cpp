#include "session/session_registry.h"

namespace xz::session {

std::shared_ptr<SessionControl> SessionRegistry::add(const SessionInfo& info,
                                                     std::shared_ptr<SessionControl> control) {
  std::lock_guard lk(mu_);
  std::shared_ptr<SessionControl> replaced;
  auto it = by_device_.find(info.device_id);
  if (it != by_device_.end()) replaced = std::move(it->second.control);
  by_device_[info.device_id] = Entry{info, std::move(control)};
  return replaced;
}

void SessionRegistry::remove(const std::string& device_id, const std::string& session_id) {
  std::lock_guard lk(mu_);
  auto it = by_device_.find(device_id);
  if (it != by_device_.end() && it->second.info.session_id == session_id) by_device_.erase(it);
}

void SessionRegistry::set_state(const std::string& device_id, const std::string& session_id,
                                std::string state) {
  std::lock_guard lk(mu_);
  auto it = by_device_.find(device_id);
  if (it != by_device_.end() && it->second.info.session_id == session_id)
    it->second.info.state = std::move(state);
}

void SessionRegistry::set_protocol(const std::string& device_id, const std::string& session_id,
                                   int version) {
  std::lock_guard lk(mu_);
  auto it = by_device_.find(device_id);
  if (it != by_device_.end() && it->second.info.session_id == session_id)
    it->second.info.protocol_version = version;
}

std::size_t SessionRegistry::size() const {
  std::lock_guard lk(mu_);
  return by_device_.size();
}

std::size_t SessionRegistry::count(std::string_view transport) const {
  std::lock_guard lk(mu_);
  std::size_t n = 0;
  for (const auto& [id, e] : by_device_) n += e.info.transport == transport ? 1 : 0;
  return n;
}

std::size_t SessionRegistry::sessions() const {
  std::lock_guard lk(mu_);
  std::size_t n = 0;
  for (const auto& [id, e] : by_device_) n += e.info.idle ? 0 : 1;
  return n;
}

std::size_t SessionRegistry::sessions(std::string_view transport) const {
  std::lock_guard lk(mu_);
  std::size_t n = 0;
  for (const auto& [id, e] : by_device_) n += !e.info.idle && e.info.transport == transport ? 1 : 0;
  return n;
}

std::vector<SessionInfo> SessionRegistry::list() const {
  std::lock_guard lk(mu_);
  std::vector<SessionInfo> out;
  out.reserve(by_device_.size());
  for (const auto& [k, e] : by_device_) out.push_back(e.info);
  return out;
}

std::shared_ptr<SessionControl> SessionRegistry::find(const std::string& device_id) const {
  std::lock_guard lk(mu_);
  auto it = by_device_.find(device_id);
  return it == by_device_.end() ? nullptr : it->second.control;
}

std::vector<std::shared_ptr<SessionControl>> SessionRegistry::all() const {
  std::lock_guard lk(mu_);
  std::vector<std::shared_ptr<SessionControl>> out;
  for (const auto& [k, e] : by_device_) out.push_back(e.control);
  return out;
}

}  // namespace xz::session
