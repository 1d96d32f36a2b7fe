#pragma once
// Shared pieces of the built-in function tests: an event loop to run tool calls on,
// a fake session that records what tools do to it, and test files.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "core/async.h"
#include "core/runtime.h"
#include "providers/tts/tts.h"
#include "support/encoded_audio.h"  // make_ogg_opus
#include "tools/tool.h"

namespace xz::test {

// One event loop and a small worker pool, started for the test's lifetime.
class ToolLoop {
 public:
  ToolLoop() : rt_(1, 2) { rt_.start(); }
  ~ToolLoop() { rt_.stop(); }
  boost::asio::io_context& loop() { return rt_.loop(0); }
  boost::asio::thread_pool& pool() { return rt_.pool(); }

  // Runs a coroutine on the loop and returns its result (rethrows its exception).
  template <class T>
  T run(core::Task<T> task, std::chrono::seconds timeout = std::chrono::seconds(30)) {
    auto fut = boost::asio::co_spawn(rt_.loop(0), std::move(task), boost::asio::use_future);
    if (fut.wait_for(timeout) != std::future_status::ready) throw std::runtime_error("test coroutine timed out");
    return fut.get();
  }

 private:
  core::Runtime rt_;
};

// Records what a tool does to its session. play_audio pulls every chunk (as the
// pacer would) unless `hold_after_chunks` is set: then it waits after that many
// chunks until the call is cancelled.
class FakeSession final : public tools::SessionActions {
 public:
  explicit FakeSession(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}

  const std::string& device_id() const override { return device_id_; }
  const std::string& session_id() const override { return session_id_; }
  void set_session_id(std::string id) { session_id_ = std::move(id); }
  boost::asio::any_io_executor executor() const override { return ex_; }
  void close_after_reply() override { ++close_requests; }
  void set_persona(std::string prompt) override { personas.push_back(std::move(prompt)); }
  boost::asio::awaitable<void> play_audio(std::string title,
                                          std::function<boost::asio::awaitable<providers::PcmChunk>()> next) override {
    titles.push_back(title);
    for (;;) {
      if (hold_after_chunks && chunks.size() >= *hold_after_chunks) {
        holding.set_value();
        core::Event never(ex_);
        co_await never.wait();
        throw boost::system::system_error(boost::asio::error::operation_aborted, "play_audio cancelled");
      }
      providers::PcmChunk chunk = co_await next();
      if (chunk.samples.empty()) break;
      sample_rate = chunk.sample_rate;
      pcm.insert(pcm.end(), chunk.samples.begin(), chunk.samples.end());
      chunks.push_back(chunk.samples.size());
    }
  }

  boost::asio::awaitable<tools::ToolResult> run_device_tool(std::string name, nlohmann::json) override {
    co_return tools::ToolResult::failed("no device tool " + name + " in this test");
  }

  int close_requests = 0;
  std::vector<std::string> personas;
  std::vector<std::string> titles;
  std::vector<std::int16_t> pcm;
  std::vector<std::size_t> chunks;
  int sample_rate = 0;
  std::optional<std::size_t> hold_after_chunks;
  std::promise<void> holding;

 private:
  boost::asio::any_io_executor ex_;
  std::string device_id_ = "aa:bb:cc:dd:ee:ff";
  std::string session_id_ = "test-session";
};

// Calls a tool with JSON arguments on the loop.
inline tools::ToolResult call_tool(ToolLoop& loop, tools::Tool& tool, nlohmann::json args, FakeSession& session) {
  return loop.run([](tools::Tool& t, nlohmann::json a, FakeSession& s) -> core::Task<tools::ToolResult> {
    co_return co_await t.call(std::move(a), s);
  }(tool, std::move(args), session));
}

// A fresh, empty directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs a command line (sh -c); throws with its output when it fails.
void run_command(const std::string& command);

// Pids of this process's child processes whose command name is `comm` (e.g. "sox").
std::vector<int> child_pids(const std::string& comm);
// True once `pid` no longer exists (was reaped), polling up to `timeout`.
bool wait_until_reaped(int pid, std::chrono::milliseconds timeout);

}  // namespace xz::test
