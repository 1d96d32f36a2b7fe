#pragma once
// mem0ai: the mem0 platform (cloud) as the reference uses it. When a session ends its
// dialogue is added for the device (POST /v1/memories/, mem0 extracts the memories);
// before each answer the memories related to what the user just said are searched
// (POST /v1/memories/search/) and go into the system prompt, newest first. Adds are
// queued (bounded) and sent `concurrency` at a time on the given executor; a failed
// add is logged and counted, and the session's turns stay in the chat history.
//
// Entry keys (Memory.<name>): api_key (required), api_version (mem0's output_format,
// default v1.1), base_url (https://api.mem0.ai), timeout (seconds per add, 30),
// search_timeout (seconds the answer waits for the search, 3), queue_size (100),
// concurrency (2).
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "memory/memory.h"

namespace xz::memory {

struct Mem0Settings {
  std::string api_key;
  std::string api_version = "v1.1";
  std::string base_url = "https://api.mem0.ai";
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds search_timeout{3000};
  std::size_t queue_size = 100;
  std::size_t concurrency = 2;

  // Throws providers::EngineConfigError naming `path` + key for a bad value.
  static Mem0Settings from_entry(const nlohmann::json& entry, const std::string& path);
};

class Mem0Memory : public Memory {
 public:
  Mem0Memory(Mem0Settings settings, boost::asio::any_io_executor ex, core::Metrics* metrics = nullptr);
  ~Mem0Memory() override;

  // Nothing at session start: mem0 is searched per turn.
  boost::asio::awaitable<std::string> recall(std::string device_id) override;
  bool searches_each_turn() const override { return true; }
  // "" when the search fails or takes longer than search_timeout (logged): a turn
  // without its memories is better than a late or lost turn.
  boost::asio::awaitable<std::string> search(std::string device_id, std::string query) override;
  void remember(std::string device_id, std::vector<providers::ChatMessage> dialogue) override;
  boost::asio::awaitable<void> drain(std::chrono::steady_clock::time_point deadline) override;
  bool summarises() const override { return true; }
  MemoryStats stats() const override;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace xz::memory
