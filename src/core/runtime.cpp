#include "core/runtime.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <latch>

#include <string>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace xz::core {

namespace {
constexpr int kWorkerNice = 5;
}  // namespace

std::size_t default_thread_count() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 2 : n;
}

Runtime::Runtime(std::size_t io_threads, std::size_t workers)
    : workers_(workers == 0 ? default_thread_count() : workers) {
  if (io_threads == 0) io_threads = default_thread_count();
  loops_.reserve(io_threads);
  for (std::size_t i = 0; i < io_threads; ++i) {
    // Concurrency hint 1: each loop is run by exactly one thread, so asio can skip locking.
    loops_.push_back(std::make_unique<asio::io_context>(1));
    guards_.emplace_back(asio::make_work_guard(*loops_.back()));
  }
  pool_ = std::make_unique<asio::thread_pool>(workers_);
  // Event loops are latency-critical, workers are throughput work: when the cores are
  // busy, a loop must win. Each worker lowers its own priority (nice is per thread on
  // Linux); the latch makes every worker take exactly one of these tasks.
  workers_niced_ = std::make_shared<std::latch>(static_cast<std::ptrdiff_t>(workers_));
  for (std::size_t i = 0; i < workers_; ++i) {
    asio::post(*pool_, [all_started = workers_niced_, i] {
      std::string name = "xz-worker-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kWorkerNice);
      all_started->arrive_and_wait();
    });
  }
}

Runtime::~Runtime() { stop(); }

void Runtime::start() {
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    threads_.emplace_back([this, i] {
      std::string name = "xz-loop-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      for (;;) {
        try {
          loops_[i]->run();
          return;
        } catch (const std::exception& e) {
          // A handler that throws must not take the whole loop down with it.
          spdlog::error("event loop {}: unhandled exception: {}", i, e.what());
        }
      }
    });
  }
}

void Runtime::stop() {
  if (stopped_) return;
  stopped_ = true;
  guards_.clear();
  for (auto& l : loops_) l->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  // A worker waits in the latch for the others; stopping the pool before every worker
  // took its task would leave it waiting forever (and join() with it).
  workers_niced_->wait();
  pool_->stop();
  pool_->join();
}

asio::io_context& Runtime::next_loop() {
  return *loops_[next_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
}

}  // namespace xz::core
