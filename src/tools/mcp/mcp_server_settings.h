#pragma once
// The server-side MCP servers, from <data_dir>/.mcp_server_settings.json in the
// reference server's format:
//   {"mcpServers": {
//      "<name>": {"command": "npx", "args": [...], "env": {...}},          -> stdio
//      "<name>": {"url": "http://.../sse", "headers": {...},
//                 "transport": "sse" | "streamable-http" | "http",         (default "sse")
//                 "timeout": 5, "sse_read_timeout": 300}}}                   (seconds)
// A legacy "API_ACCESS_TOKEN" becomes "Authorization: Bearer <token>"; "type" is read
// as an alias of "transport"; "disabled": true skips a server. Pure: parsing only.
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/http_client.h"

namespace xz::tools::mcp {

enum class McpTransportKind { stdio, sse, streamable_http };

std::string_view transport_name(McpTransportKind kind);

struct McpServerSpec {
  std::string name;
  McpTransportKind transport = McpTransportKind::stdio;
  // stdio
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  // HTTP
  std::string url;
  net::HttpHeaders headers;
  std::chrono::milliseconds timeout{5000};  // connect and each exchange (sse 5 s, http 30 s)
  std::chrono::milliseconds sse_read_timeout{300000};
};

// Names the file, the server and the key: "<file>: mcpServers.fetch.args: must be a list of strings".
struct McpSettingsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<McpServerSpec> parse_mcp_server_settings(const nlohmann::json& doc, std::string_view origin);
// A missing file means no servers. Throws McpSettingsError for unreadable or bad files.
std::vector<McpServerSpec> load_mcp_server_settings(const std::string& path);
std::string mcp_server_settings_path(std::string_view data_dir);

}  // namespace xz::tools::mcp
