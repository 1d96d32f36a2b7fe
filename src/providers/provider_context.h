#pragma once
// What every engine may need from the process: the worker pool for blocking work
// and the data directory. Engines are created once per process (models loaded once);
// per-session state lives in the streams they open.
#include <stdexcept>
#include <string>

#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

namespace xz::core {
class Metrics;
}

namespace xz::providers {

struct ProviderContext {
  boost::asio::thread_pool& pool;
  std::string data_dir = "data";
  // The process's metrics, for engines that report their own work; null = not reported.
  core::Metrics* metrics = nullptr;
};

// The config entry of one engine, e.g. the mapping under LLM.OpenAILLM.
using EngineConfig = nlohmann::json;

// Thrown by engine constructors for bad configuration; names the key and reason.
struct EngineConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace xz::providers
