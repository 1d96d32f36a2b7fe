#pragma once
// What every HTTP TTS engine does the same way: send the request, decode the answer's
// body as it arrives and hand the PCM to the sink; a failure becomes one exception that
// names the engine and says what the vendor said.
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "audio/audio_stream_decoder.h"
#include "net/http_client.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/provider_context.h"
#include "providers/tts/tts.h"

namespace xz::providers {

struct HttpSpeech {
  net::HttpClientRequest request;
  // The 2xx body's bytes -> PCM: an audio decoder, or a vendor's envelope around one.
  std::unique_ptr<audio::AudioStreamDecoder> body;
  // When set: the answer's HTTP status (0 when none came), for engines that retry on one.
  int* status = nullptr;
};

class HttpTtsClient {
 public:
  // Reads `timeout` (seconds for the whole request; default_timeout_s when unset) and
  // `ca_file` (an extra trusted CA, PEM). Throws EngineConfigError naming the key.
  HttpTtsClient(std::string engine, const EngineConfig& cfg, ProviderContext& ctx, double default_timeout_s);
  ~HttpTtsClient();
  HttpTtsClient(const HttpTtsClient&) = delete;
  HttpTtsClient& operator=(const HttpTtsClient&) = delete;

  // A request with this engine's timeouts.
  net::HttpClientRequest request(std::string method, std::string url) const;

  // Sends the request, decodes the 2xx body as it arrives and hands the PCM to the sink;
  // returns early when the sink says stop. Throws std::runtime_error "<engine>: HTTP
  // <status>: <the vendor's message>" for a non-2xx answer and "<engine>: <what>" for a
  // dropped connection, a timeout, a vendor error inside the body or audio that does not
  // decode; boost::system::system_error(operation_aborted) when cancelled.
  boost::asio::awaitable<void> speak(HttpSpeech call, PcmSink& sink);

  const std::string& engine() const { return engine_; }

 private:
  boost::asio::awaitable<void> exchange(HttpSpeech call, PcmSink& sink);

  std::string engine_;
  llm_config::Timeouts timeouts_;
  std::unique_ptr<net::HttpClient> http_;
  boost::asio::thread_pool* pool_;
};

// `params` as Python's requests writes a query string (keys sorted): strings as they
// are, numbers as Python prints them (1, 1.0), booleans True/False, lists as repeated
// keys, nulls left out; form-encoded (a space is '+').
std::string python_query_string(const nlohmann::json& params);
// `url` with the query appended ('?' or '&'); the URL unchanged for an empty query.
std::string with_query(const std::string& url, const std::string& query);

}  // namespace xz::providers
