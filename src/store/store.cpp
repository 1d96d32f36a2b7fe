#include "store/store.h"

#include <filesystem>
#include <type_traits>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "store/device_repository.h"
#include "store/migrations.h"

namespace xz::store {

namespace asio = boost::asio;

std::string database_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir.empty() ? "." : data_dir) / "xiaozhi.db").string();
}

struct Store::Impl {
  Impl(asio::thread_pool& pool, const std::string& p) : strand(asio::make_strand(pool.get_executor())), path(p) {}

  asio::strand<asio::thread_pool::executor_type> strand;
  std::string path;
  // Touched only on the strand after construction.
  std::optional<Database> db;
  int version = 0;
};

namespace {

// Store work is never cancelled once queued: a write must not be abandoned, and asio
// 1.81 can terminate when a co_spawn is cancelled before its coroutine starts (see
// core::offload). A cancelled caller (e.g. under with_timeout) resumes when it is done.
auto uncancellable() { return asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable); }

Database open_database(const std::string& path) {
  auto dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) throw DatabaseError("cannot create directory " + dir.string() + ": " + ec.message());
  return Database(path);
}

// Runs fn(db) on the store's strand. The Impl is shared with the queued work, so a
// Store destroyed while calls are in flight does not pull the connection away.
template <class Fn>
auto on_strand(std::shared_ptr<Store::Impl> impl, Fn fn) -> asio::awaitable<std::invoke_result_t<Fn, Database&>> {
  using R = std::invoke_result_t<Fn, Database&>;
  auto ex = impl->strand;
  // A named closure, not a temporary inside the co_await expression: g++ 12
  // destroys such temporaries twice when their captures are non-trivial.
  auto work = [impl = std::move(impl), f = std::move(fn)]() mutable -> asio::awaitable<R> {
    if (!impl->db) throw DatabaseError("the store " + impl->path + " is closed");
    co_return f(*impl->db);
  };
  co_return co_await asio::co_spawn(ex, std::move(work), uncancellable());
}

}  // namespace

Store::Store(asio::thread_pool& pool, const std::string& path) : impl_(std::make_shared<Impl>(pool, path)) {
  impl_->db.emplace(open_database(path));
  impl_->version = migrate(*impl_->db);
}

Store::~Store() = default;

const std::string& Store::path() const { return impl_->path; }
int Store::schema_version() const { return impl_->version; }

Store::Task<DeviceRecord> Store::record_seen(DeviceSighting s) {
  return on_strand(impl_, [s = std::move(s)](Database& db) { return DeviceRepository(db).record_seen(s); });
}

Store::Task<std::optional<DeviceRecord>> Store::find_device(std::string device_id) {
  return on_strand(impl_, [id = std::move(device_id)](Database& db) { return DeviceRepository(db).find(id); });
}

Store::Task<std::vector<DeviceRecord>> Store::list_devices(std::size_t limit) {
  return on_strand(impl_, [limit](Database& db) { return DeviceRepository(db).list(limit); });
}

Store::Task<ActivationCode> Store::activation_code_for(std::string device_id, std::int64_t now,
                                                       std::int64_t ttl_seconds) {
  return on_strand(impl_, [id = std::move(device_id), now, ttl_seconds](Database& db) {
    return DeviceRepository(db).activation_code_for(id, now, ttl_seconds);
  });
}

Store::Task<BindResult> Store::bind_code(std::string code, std::int64_t now) {
  return on_strand(impl_,
                   [code = std::move(code), now](Database& db) { return DeviceRepository(db).bind(code, now); });
}

Store::Task<void> Store::run(std::function<void(Database&)> fn) {
  if (!fn) throw DatabaseError("Store::run: empty function");
  return on_strand(impl_, [f = std::move(fn)](Database& db) { f(db); });
}

Store::Task<void> Store::flush() {
  return on_strand(impl_, [](Database& db) { db.checkpoint(); });
}

Store::Task<void> Store::close() {
  auto impl = impl_;
  auto ex = impl->strand;
  auto work = [impl]() -> asio::awaitable<void> {
    if (!impl->db) co_return;
    try {
      impl->db->checkpoint();
    } catch (const DatabaseError&) {
      // Another process may hold the file; the WAL is replayed on next open.
    }
    impl->db.reset();
  };
  co_await asio::co_spawn(ex, std::move(work), uncancellable());
}

}  // namespace xz::store
