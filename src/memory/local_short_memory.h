#pragma once
// mem_local_short: when a session ends, an LLM merges its dialogue into the device's
// memory, kept in the database. Summaries of one device run one after another (the
// next sees the previous result); different devices run side by side, up to
// `concurrency` at a time. The LLM is called on the given executor; database work goes
// through the store's executor.
//
// Entry keys (Memory.<name>): llm (LLM entry name), max_chars (1500), max_tokens (2000),
// temperature (0.2), timeout (seconds, 60), queue_size (100), concurrency (2),
// max_dialogue_chars (16000).
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "memory/memory.h"

namespace xz::memory {

struct LocalShortSettings {
  std::size_t max_chars = 1500;
  int max_tokens = 2000;
  double temperature = 0.2;
  std::chrono::milliseconds timeout{60000};  // one summary, LLM answer included
  std::size_t queue_size = 100;              // dialogues waiting, all devices together
  std::size_t concurrency = 2;               // devices summarised at the same time
  std::size_t max_dialogue_chars = 16000;    // transcript sent to the LLM (newest part)

  // Throws providers::EngineConfigError naming `path` + key for a bad value.
  static LocalShortSettings from_entry(const nlohmann::json& entry, const std::string& path);
};

class LocalShortMemory : public Memory {
 public:
  // `owned_llm` (may be null) is kept alive as long as the memory; `llm` is used.
  LocalShortMemory(LocalShortSettings settings, store::Store& store, providers::LlmEngine& llm,
                   std::unique_ptr<providers::LlmEngine> owned_llm, boost::asio::any_io_executor ex,
                   core::Metrics* metrics = nullptr);
  ~LocalShortMemory() override;

  boost::asio::awaitable<std::string> recall(std::string device_id) override;
  void remember(std::string device_id, std::vector<providers::ChatMessage> dialogue) override;
  boost::asio::awaitable<void> drain(std::chrono::steady_clock::time_point deadline) override;
  bool summarises() const override { return true; }
  MemoryStats stats() const override;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace xz::memory
