#pragma once
// An in-process MCP server over HTTP for tests, speaking both transports:
//   Streamable HTTP at /mcp  (POST answers as JSON or as an SSE stream; Mcp-Session-Id;
//                             GET notification stream; DELETE ends a session)
//   legacy HTTP+SSE at /sse  (an `endpoint` event, then POST /messages/?session_id=...;
//                             answers arrive on the stream)
// It runs on its own thread and io_context on 127.0.0.1 (ephemeral port) and records
// every request. Tools: echo{text,hostile}, fail (isError), speak (JSON text with an action),
// slow{ms}, add_tool{name} (adds a tool and sends tools/list_changed on every open
// stream); tools/list pages hold two tools each. echo with hostile: true sends
// support/hostile_mcp.h's messages before its answer.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::test {

struct FakeMcpHttpOptions {
  bool sse_answers = false;  // Streamable HTTP: answer requests with an SSE stream
  bool stateless = false;    // Streamable HTTP: no Mcp-Session-Id
  bool get_stream = true;    // Streamable HTTP: offer the GET stream (405 otherwise)
};

struct FakeMcpRequest {
  std::string method;  // HTTP method
  std::string target;
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  nlohmann::json body;                         // parsed JSON body, or null
};

class FakeMcpHttp {
 public:
  explicit FakeMcpHttp(FakeMcpHttpOptions opts = {});
  ~FakeMcpHttp();
  FakeMcpHttp(const FakeMcpHttp&) = delete;
  FakeMcpHttp& operator=(const FakeMcpHttp&) = delete;

  std::string streamable_url() const;  // http://127.0.0.1:PORT/mcp
  std::string sse_url() const;         // http://127.0.0.1:PORT/sse
  std::uint16_t port() const;

  // Adds a tool and sends notifications/tools/list_changed on every open stream.
  void add_tool(const std::string& name);
  // Forgets every Streamable HTTP session (later requests with their id get 404) and
  // closes their GET streams.
  void expire_sessions();
  // Closes every open event stream (GET /mcp and /sse).
  void drop_streams();

  // Event streams open right now (GET /mcp and /sse).
  std::size_t open_streams() const;
  bool wait_for_streams(std::size_t n, std::chrono::milliseconds timeout) const;
  std::vector<FakeMcpRequest> requests() const;
  // Requests whose JSON-RPC method (or HTTP method for body-less ones) is `rpc_method`.
  std::size_t count(const std::string& rpc_method) const;
  bool wait_for(const std::string& rpc_method, std::size_t n, std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace xz::test
