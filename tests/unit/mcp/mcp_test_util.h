#pragma once
// Shared by the MCP client tests: running coroutines on a loop, the stdio test server,
// counting its processes, and a SessionActions that tools may be called with.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "core/async.h"
#include "providers/tts/tts.h"
#include "tools/tool.h"
#include "build_paths.h"

namespace xz::test {

inline std::string stdio_server_path() { return std::string(XZ_TEST_TOOLS_DIR) + "/mcp_stdio_test_server"; }

// Runs a coroutine on `ex` and returns its result; throws when it takes too long.
template <class T>
T run_in(boost::asio::any_io_executor ex, core::Task<T> task, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  auto fut = boost::asio::co_spawn(ex, std::move(task), boost::asio::use_future);
  if (fut.wait_for(timeout) != std::future_status::ready) throw std::runtime_error("test coroutine did not finish");
  return fut.get();
}

// Direct children of this process whose command name starts with `comm` (from /proc).
inline std::vector<int> child_pids(const std::string& comm) {
  std::vector<int> out;
  const std::string self = std::to_string(::getpid());
  DIR* dir = ::opendir("/proc");
  if (!dir) return out;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat("/proc/" + name + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...: comm may contain spaces, so split at the last ')'.
    auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string process_comm = line.substr(open + 1, close - open - 1);
    std::string rest = line.substr(close + 2);
    char state = rest.empty() ? '?' : rest[0];
    std::string ppid = rest.size() > 2 ? rest.substr(2, rest.find(' ', 2) - 2) : "";
    if (ppid == self && state != 'Z' && process_comm.rfind(comm.substr(0, 15), 0) == 0) out.push_back(std::stoi(name));
  }
  ::closedir(dir);
  return out;
}

inline bool process_exists(int pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

// Polls `pred` until it holds or the deadline passes (for state outside our control,
// such as the process table).
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Counts notifications and lets a test wait for the n-th one.
class Signal {
 public:
  void notify() {
    {
      std::lock_guard lk(mu_);
      ++count_;
    }
    cv_.notify_all();
  }
  std::size_t count() const {
    std::lock_guard lk(mu_);
    return count_;
  }
  bool wait_for_count(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return count_ >= n; });
  }
  // Waits until `pred` holds, re-checking after every notification.
  bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) const {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, timeout, [&] {
      lk.unlock();
      bool ok = pred();
      lk.lock();
      return ok;
    });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::size_t count_ = 0;
};

class FakeSessionActions final : public tools::SessionActions {
 public:
  explicit FakeSessionActions(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
  const std::string& device_id() const override { return device_; }
  const std::string& session_id() const override { return session_; }
  boost::asio::any_io_executor executor() const override { return ex_; }
  void close_after_reply() override {}
  void set_persona(std::string) override {}
  boost::asio::awaitable<void> play_audio(std::string,
                                          std::function<boost::asio::awaitable<providers::PcmChunk>()>) override {
    co_return;
  }
  // Answers with the call it got, so a test sees what reached the device.
  boost::asio::awaitable<tools::ToolResult> run_device_tool(std::string name, nlohmann::json arguments) override {
    co_return tools::ToolResult::llm("device " + name + " " + arguments.dump());
  }

 private:
  boost::asio::any_io_executor ex_;
  std::string device_ = "aa:bb:cc:dd:ee:ff";
  std::string session_ = "test-session";
};

// The tool of that name in `tools`, or nullptr.
inline tools::ToolPtr find_tool(const std::vector<tools::ToolPtr>& tools, const std::string& name) {
  for (const auto& t : tools)
    if (t->schema().name == name) return t;
  return nullptr;
}

// Calls a tool with arguments given as JSON text (plain parameters: see the g++ 12 note
// in the tests).
inline core::Task<tools::ToolResult> call_tool(tools::Tool& tool, const char* args_json, tools::SessionActions& s) {
  nlohmann::json args = nlohmann::json::parse(args_json);
  auto r = co_await tool.call(std::move(args), s);
  co_return r;
}

}  // namespace xz::test
