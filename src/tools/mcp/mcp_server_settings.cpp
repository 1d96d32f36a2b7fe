#include "tools/mcp/mcp_server_settings.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace xz::tools::mcp {

using Json = nlohmann::json;

std::string_view transport_name(McpTransportKind kind) {
  switch (kind) {
    case McpTransportKind::stdio: return "stdio";
    case McpTransportKind::sse: return "sse";
    case McpTransportKind::streamable_http: return "streamable-http";
  }
  return "?";
}

namespace {

class Checker {
 public:
  Checker(std::string_view origin, std::string server) : origin_(origin), server_(std::move(server)) {}

  [[noreturn]] void fail(std::string_view key, std::string_view why) const {
    throw McpSettingsError(fmt::format("{}: mcpServers.{}{}{}: {}", origin_, server_, key.empty() ? "" : ".", key, why));
  }

  std::string string(const Json& v, std::string_view key) const {
    if (!v.is_string()) fail(key, "must be a string");
    return v.get<std::string>();
  }

  // Scalars become text (a port number in env is common); null and containers do not.
  std::string scalar_text(const Json& v, std::string_view key) const {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number() || v.is_boolean()) return v.dump();
    fail(key, "must be a string");
  }

  std::chrono::milliseconds seconds(const Json& v, std::string_view key) const {
    if (!v.is_number()) fail(key, "must be a number of seconds");
    double s = v.get<double>();
    if (!std::isfinite(s) || s <= 0 || s > 86400.0) fail(key, "must be between 0 and 86400 seconds");
    return std::chrono::milliseconds(static_cast<long long>(std::llround(s * 1000.0)));
  }

 private:
  std::string_view origin_;
  std::string server_;
};

McpTransportKind http_transport(const Checker& c, const Json& entry) {
  const char* key = entry.contains("transport") ? "transport" : "type";
  auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) return McpTransportKind::sse;
  std::string t = c.string(*it, key);
  for (auto& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (t == "sse") return McpTransportKind::sse;
  if (t == "streamable-http" || t == "streamable_http" || t == "streamablehttp" || t == "http")
    return McpTransportKind::streamable_http;
  c.fail(key, fmt::format("unknown transport '{}' (sse, streamable-http or http)", t));
}

McpServerSpec parse_server(const std::string& name, const Json& entry, std::string_view origin) {
  Checker c(origin, name);
  if (!entry.is_object()) c.fail("", "must be a mapping");
  McpServerSpec spec;
  spec.name = name;
  const bool has_command = entry.contains("command") && !entry["command"].is_null();
  const bool has_url = entry.contains("url") && !entry["url"].is_null();
  if (has_command && has_url) c.fail("", "has both 'command' and 'url'; use one");
  if (has_command) {
    spec.transport = McpTransportKind::stdio;
    spec.command = c.string(entry["command"], "command");
    if (spec.command.empty()) c.fail("command", "must not be empty");
    if (auto args = entry.find("args"); args != entry.end() && !args->is_null()) {
      if (!args->is_array()) c.fail("args", "must be a list of strings");
      for (std::size_t i = 0; i < args->size(); ++i)
        spec.args.push_back(c.scalar_text((*args)[i], fmt::format("args[{}]", i)));
    }
    if (auto env = entry.find("env"); env != entry.end() && !env->is_null()) {
      if (!env->is_object()) c.fail("env", "must be a mapping of names to strings");
      for (const auto& [k, v] : env->items()) {
        if (k.empty() || k.find('=') != std::string::npos) c.fail("env", fmt::format("bad variable name '{}'", k));
        spec.env[k] = c.scalar_text(v, "env." + k);
      }
    }
    return spec;
  }
  if (!has_url) c.fail("", "needs 'command' (a stdio server) or 'url' (an HTTP server)");
  spec.url = c.string(entry["url"], "url");
  if (!spec.url.starts_with("http://") && !spec.url.starts_with("https://"))
    c.fail("url", fmt::format("'{}' is not an http:// or https:// URL", spec.url));
  spec.transport = http_transport(c, entry);
  spec.timeout = spec.transport == McpTransportKind::sse ? std::chrono::seconds(5) : std::chrono::seconds(30);
  if (auto t = entry.find("timeout"); t != entry.end() && !t->is_null()) spec.timeout = c.seconds(*t, "timeout");
  if (auto t = entry.find("sse_read_timeout"); t != entry.end() && !t->is_null())
    spec.sse_read_timeout = c.seconds(*t, "sse_read_timeout");
  if (auto headers = entry.find("headers"); headers != entry.end() && !headers->is_null()) {
    if (!headers->is_object()) c.fail("headers", "must be a mapping of names to strings");
    for (const auto& [k, v] : headers->items()) {
      if (k.empty() || k.find_first_of(":\r\n") != std::string::npos) c.fail("headers", fmt::format("bad header name '{}'", k));
      std::string value = c.scalar_text(v, "headers." + k);
      if (value.find_first_of("\r\n") != std::string::npos) c.fail("headers." + k, "must be one line");
      spec.headers.emplace_back(k, std::move(value));
    }
  }
  if (auto token = entry.find("API_ACCESS_TOKEN"); token != entry.end() && !token->is_null()) {
    std::string t = c.string(*token, "API_ACCESS_TOKEN");
    if (t.find_first_of("\r\n") != std::string::npos) c.fail("API_ACCESS_TOKEN", "must be one line");
    std::erase_if(spec.headers, [](const auto& h) {
      std::string lower = h.first;
      for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      return lower == "authorization";
    });
    spec.headers.emplace_back("Authorization", "Bearer " + t);
  }
  return spec;
}

}  // namespace

std::vector<McpServerSpec> parse_mcp_server_settings(const Json& doc, std::string_view origin) {
  if (!doc.is_object()) throw McpSettingsError(fmt::format("{}: must be a JSON object with \"mcpServers\"", origin));
  std::vector<McpServerSpec> out;
  auto servers = doc.find("mcpServers");
  if (servers == doc.end() || servers->is_null()) return out;
  if (!servers->is_object()) throw McpSettingsError(fmt::format("{}: mcpServers: must be a mapping of names to servers", origin));
  for (const auto& [name, entry] : servers->items()) {
    if (name.empty()) throw McpSettingsError(fmt::format("{}: mcpServers: a server has an empty name", origin));
    if (entry.is_object()) {
      auto disabled = entry.find("disabled");
      if (disabled != entry.end() && !disabled->is_null()) {
        if (!disabled->is_boolean())
          throw McpSettingsError(fmt::format("{}: mcpServers.{}.disabled: must be true or false", origin, name));
        if (disabled->get<bool>()) continue;
      }
    }
    out.push_back(parse_server(name, entry, origin));
  }
  return out;
}

std::vector<McpServerSpec> load_mcp_server_settings(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw McpSettingsError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  Json doc;
  try {
    doc = Json::parse(text.str());
  } catch (const Json::parse_error& e) {
    throw McpSettingsError(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
  return parse_mcp_server_settings(doc, path);
}

std::string mcp_server_settings_path(std::string_view data_dir) {
  std::string dir(data_dir.empty() ? "." : data_dir);
  if (!dir.ends_with('/')) dir.push_back('/');
  return dir + ".mcp_server_settings.json";
}

}  // namespace xz::tools::mcp
