#pragma once
// Reading an LLM engine's config entry as the reference's YAML delivers it: absent, null
// and "" (an unset ${ENV}) all mean "not set"; numbers may come as strings. Every
// failure is an EngineConfigError that starts with the key ("timeout: must be > 0 seconds").
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "providers/provider_context.h"

namespace xz::providers::llm_config {

// Throws "not a mapping" unless cfg is an object.
void require_mapping(const EngineConfig& cfg);

// The value under key, or nullptr when it is absent, null or "".
const nlohmann::json* find(const EngineConfig& cfg, const char* key);

std::optional<std::string> opt_string(const EngineConfig& cfg, const char* key);
std::optional<double> opt_number(const EngineConfig& cfg, const char* key);
// A finite number > 0 ("<key>: not a positive number" otherwise).
std::optional<double> opt_positive(const EngineConfig& cfg, const char* key);
std::optional<bool> opt_bool(const EngineConfig& cfg, const char* key);
// A whole number >= min_value.
std::optional<long long> opt_integer(const EngineConfig& cfg, const char* key, long long min_value);

// An http(s) base URL under key (or under fallback_key when key is unset), trailing
// slashes removed; default_url when both are unset ("" = required).
std::string base_url(const EngineConfig& cfg, const char* key, const char* fallback_key, std::string_view default_url);

// `timeout`: seconds for the whole request, or the reference's {connect, read, ...} map
// (the longest bounds the request, `connect` bounds connecting).
struct Timeouts {
  std::chrono::milliseconds connect{10000};
  std::chrono::milliseconds total{60000};
};
Timeouts timeouts(const EngineConfig& cfg, double default_total_seconds);

// At most n bytes of s, with "..." when cut (for error messages).
std::string shorten(std::string_view s, std::size_t n = 300);

// A failure's message starting with the engine's name ("Coze: connect ... refused"), so
// the log line of a failed turn says which engine failed; kept as is when it already does.
std::string named_message(std::string_view engine, std::string_view what);

}  // namespace xz::providers::llm_config

namespace xz::providers::wire {

// Fields of an API's JSON that may be missing or of an unexpected type (a remote peer's
// data must not throw json type errors): the value, else the fallback.
std::string string_at(const nlohmann::json& obj, const char* key, std::string fallback = {});
bool bool_at(const nlohmann::json& obj, const char* key, bool fallback = false);

}  // namespace xz::providers::wire
