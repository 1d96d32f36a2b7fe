#pragma once
// HttpClient::stream with a read-idle bound: long-lived SSE streams (legacy SSE, the
// Streamable HTTP notification stream) must notice a peer that vanished without
// closing the connection. Keep-alive comments count as activity.
#include <chrono>
#include <memory>

#include "core/async.h"
#include "net/http_client.h"

namespace xz::tools::mcp {

// Throws McpError("no data for N s") when nothing arrived for `idle`; otherwise as
// HttpClient::stream.
core::Task<net::HttpClientResponse> stream_with_idle_timeout(std::shared_ptr<net::HttpClient> client,
                                                             net::HttpClientRequest req,
                                                             net::HttpBodyHandler on_body,
                                                             std::chrono::milliseconds idle);

}  // namespace xz::tools::mcp
