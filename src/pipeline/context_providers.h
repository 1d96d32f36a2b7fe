#pragma once
// context_providers: [{url, headers}] — the reference's way to put live data into the
// prompt ({{dynamic_context}}). Each is fetched with GET, its configured headers plus
// device-id and client-id, a timeout and a bounded body; answers of the wrong shape, HTTP
// errors and providers that are down are skipped with one log line each.
#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "net/http_client.h"

namespace xz::pipeline {

struct ContextProviderSpec {
  std::string url;
  net::HttpHeaders headers;
  bool operator==(const ContextProviderSpec&) const = default;
};

// The list as config.yaml or the manager gives it. Entries with an empty url are left
// out (the reference ships one); `problems` gets one line per entry that is not a map,
// has a url that is not http(s) or headers that are not a map ("context_providers[1].url: ...").
std::vector<ContextProviderSpec> context_providers_from_json(const nlohmann::json& list,
                                                             std::vector<std::string>& problems);

struct ContextFetchOptions {
  std::chrono::milliseconds timeout{3000};  // each provider, connect included
  std::size_t max_body_bytes = 64 * 1024;
};

// Every provider at once; their lines joined with "\n" in the configured order.
boost::asio::awaitable<std::string> fetch_dynamic_context(net::HttpClient& http,
                                                          std::vector<ContextProviderSpec> providers,
                                                          std::string device_id, std::string client_id,
                                                          ContextFetchOptions options, core::SessionLog log);

}  // namespace xz::pipeline
