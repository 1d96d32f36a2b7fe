#pragma once
// The server's database: <data_dir>/xiaozhi.db (SQLite, WAL). Every call is an
// awaitable that runs on one serial executor (a strand on the worker pool) holding
// the one connection, and resumes the caller on its own executor. A call's write is
// committed before the call completes; close() waits for calls already queued, so
// graceful shutdown loses nothing as long as it awaits close() before the worker
// pool stops.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "store/database.h"
#include "store/device_records.h"

namespace boost::asio {
class thread_pool;
}

namespace xz::store {

// The database file inside the data directory.
std::string database_path(const std::string& data_dir);

class Store {
 public:
  template <class T>
  using Task = boost::asio::awaitable<T>;

  // Opens or creates the file (and its directory) and migrates it. Blocking: call at
  // start-up, before the loops serve. Throws DatabaseError.
  Store(boost::asio::thread_pool& pool, const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const;
  int schema_version() const;

  Task<DeviceRecord> record_seen(DeviceSighting s);
  Task<std::optional<DeviceRecord>> find_device(std::string device_id);
  Task<std::vector<DeviceRecord>> list_devices(std::size_t limit);
  Task<ActivationCode> activation_code_for(std::string device_id, std::int64_t now, std::int64_t ttl_seconds);
  Task<BindResult> bind_code(std::string code, std::int64_t now);

  // Runs fn with the connection on the serial executor, after the calls queued before
  // it: the hook for other layers' repositories (memory, chat history). fn must not
  // keep the reference; its exceptions reach the caller.
  Task<void> run(std::function<void(Database&)> fn);

  // Completes when every call queued before it has finished, then checkpoints the WAL.
  Task<void> flush();
  // flush(), then closes the connection; later calls throw DatabaseError. Idempotent.
  Task<void> close();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace xz::store
