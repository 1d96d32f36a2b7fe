#pragma once
// The process's threads: N event loops (one io_context per thread) that only move
// bytes and make decisions, and one shared worker pool for everything that can block
// or burn CPU. Connections are handed round-robin to a loop and stay there.
#include <atomic>
#include <cstddef>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

namespace xz::core {

namespace asio = boost::asio;

class Runtime {
 public:
  // 0 means "one per core".
  Runtime(std::size_t io_threads, std::size_t workers);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Starts one thread per loop. Loops keep running until stop().
  void start();
  // Stops loops and the pool and joins every thread. Idempotent.
  void stop();

  // The loop for the next connection (round-robin).
  asio::io_context& next_loop();
  asio::io_context& loop(std::size_t i) { return *loops_[i]; }
  std::size_t loop_count() const { return loops_.size(); }
  asio::thread_pool& pool() { return *pool_; }
  std::size_t worker_count() const { return workers_; }

 private:
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
  std::unique_ptr<asio::thread_pool> pool_;
  std::shared_ptr<std::latch> workers_niced_;  // counts workers that lowered their priority
  std::size_t workers_;
  std::atomic<std::size_t> next_{0};
  bool stopped_ = false;
};

std::size_t default_thread_count();

}  // namespace xz::core
