#pragma once
// What every one-shot (batch) cloud ASR engine does the same way: a stream only gathers
// the utterance (bounded), and finish() hands the whole PCM to the engine's recogniser,
// which talks to the vendor; an HTTP exchange whose failures become one
// std::runtime_error naming the engine and saying what the vendor said.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "net/http_client.h"
#include "providers/asr/asr.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/provider_context.h"

namespace xz::providers {

inline constexpr int kAsrRate = 16000;

// One utterance to text. Throws std::runtime_error naming the engine on any failure.
class OneShotRecognizer {
 public:
  virtual ~OneShotRecognizer() = default;
  virtual boost::asio::awaitable<AsrResult> recognize(std::vector<std::int16_t> pcm) const = 0;
};

// A stream that keeps at most max_samples of the utterance (the rest is dropped with a
// warning) and recognises it at finish(); an empty utterance is an empty result, sent nowhere.
std::unique_ptr<AsrStream> make_one_shot_stream(std::shared_ptr<const OneShotRecognizer> recognizer,
                                                std::string engine, std::size_t max_samples);

// `max_seconds` (longest utterance kept, default 60) as samples at 16 kHz.
std::size_t max_utterance_samples(const EngineConfig& cfg);

// 16-bit little-endian bytes of the samples, as the vendors take raw PCM.
std::string pcm_bytes(const std::vector<std::int16_t>& pcm);

// An engine's HTTP exchanges: `timeout` (seconds, or the reference's map; default
// default_timeout_s) and `ca_file` (an extra trusted CA, PEM).
class AsrHttp {
 public:
  // Throws EngineConfigError naming the key.
  AsrHttp(std::string engine, const EngineConfig& cfg, ProviderContext& ctx, double default_timeout_s);
  ~AsrHttp();
  AsrHttp(const AsrHttp&) = delete;
  AsrHttp& operator=(const AsrHttp&) = delete;

  net::HttpClientRequest request(std::string method, std::string url) const;
  // The 2xx answer. Throws std::runtime_error "<engine>: HTTP <status>: <vendor message>"
  // (describe_error reads the vendor's error body) and "<engine>: <what>" for network
  // failures and timeouts; boost::system::system_error(operation_aborted) when cancelled.
  // A plain function, not a std::function: g++ 12 may destroy an owning temporary of a
  // co_await expression twice.
  using DescribeError = std::string (*)(std::string_view body);
  boost::asio::awaitable<net::HttpClientResponse> send(net::HttpClientRequest req, DescribeError describe_error) const;

  const std::string& engine() const { return engine_; }
  boost::asio::thread_pool& pool() const { return *pool_; }

 private:
  std::string engine_;
  llm_config::Timeouts timeouts_;
  std::unique_ptr<net::HttpClient> http_;
  boost::asio::thread_pool* pool_;
};

}  // namespace xz::providers
