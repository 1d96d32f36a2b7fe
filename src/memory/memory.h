#pragma once
// What the assistant remembers about a device between sessions (selected_module.Memory).
// One Memory per server, shared by all sessions; all methods are called on event loops.
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/config.h"
#include "memory/memory_prompt.h"
#include "providers/llm/llm.h"
#include "providers/provider_context.h"

namespace xz::core {
class Metrics;
}
namespace xz::store {
class Store;
}

namespace xz::memory {

struct MemoryStats {
  std::uint64_t saved = 0;    // summaries written
  std::uint64_t failed = 0;   // summaries that failed (the old memory was kept; logged)
  std::uint64_t dropped = 0;  // dialogues not queued because the queue was full (logged)
  std::uint64_t skipped = 0;  // dialogues without anything the user said
  std::uint64_t abandoned = 0;  // queued or in flight when drain()'s deadline came (logged)
};

class Memory {
 public:
  virtual ~Memory() = default;
  // Text for the system prompt's memory block for this device ("" when none), read once
  // before the session's first answer.
  virtual boost::asio::awaitable<std::string> recall(std::string device_id) = 0;
  // Engines that search their memories for what the user just said (mem0ai) do so before
  // every answer of a user turn, as the reference does; the result is that answer's
  // memory block.
  virtual bool searches_each_turn() const { return false; }
  virtual boost::asio::awaitable<std::string> search(std::string /*device_id*/, std::string /*query*/) {
    co_return std::string();
  }
  // The session ended: queue summarising its dialogue (system messages excluded) into the
  // device's memory. Never blocks, never throws; the queue is bounded (when full, log + count the drop).
  virtual void remember(std::string device_id, std::vector<providers::ChatMessage> dialogue) = 0;
  // Graceful shutdown: completes when every queued summary is written (or failed and
  // logged), or at `deadline`: then what is queued or in flight is given up (LLM calls
  // cancelled), logged and counted; nothing is summarised after that. The dialogues'
  // turns are in the chat history either way.
  virtual boost::asio::awaitable<void> drain(std::chrono::steady_clock::time_point deadline) = 0;
  // Whether sessions' ends cause work (an LLM call each) that shutdown should leave time for.
  virtual bool summarises() const { return false; }
  virtual MemoryStats stats() const { return {}; }
};

// The types selected_module.Memory may name.
const std::set<std::string>& memory_types();

// Why the reference's `powermem` type cannot be selected here (for the start-up error).
std::string powermem_reason();

// selected_module.Memory entry: `nomem` / `mem_report_only` (no memory), `mem_local_short`
// (its `llm` key names an LLM entry, built with providers::make_llm_entry; the main LLM
// engine when absent) or `mem0ai` (the mem0 platform). `powermem` is refused with the
// reason (the reference runs it as an in-process Python library). An empty selection
// means nomem. Throws
// providers::EngineConfigError naming the key for an unknown type or a bad entry.
// Counters go to `metrics` when given (xiaozhi_memory_summaries_total{result=...}).
std::unique_ptr<Memory> make_memory(const core::Config& cfg, store::Store& store, providers::LlmEngine& main_llm,
                                    providers::ProviderContext& ctx, boost::asio::any_io_executor ex,
                                    core::Metrics* metrics = nullptr);

}  // namespace xz::memory
