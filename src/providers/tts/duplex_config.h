#pragma once
// The config keys every dual-stream engine reads the same way: its endpoint (the
// reference's key, else `endpoint`; ws:// accepted for proxies and tests), tts_timeout
// (seconds, the reference's 15), idle_timeout (seconds a kept vendor connection may
// idle), ca_file (an extra trusted CA for wss://).
#include <initializer_list>
#include <string>
#include <string_view>

#include "providers/provider_context.h"
#include "providers/tts/ws_duplex_link.h"

namespace xz::providers {

// The first of `keys` that is set, else "endpoint", else default_url. Throws
// EngineConfigError naming the key when it is not a ws:// or wss:// URL.
std::string duplex_endpoint(const EngineConfig& cfg, std::initializer_list<const char*> keys,
                            std::string_view default_url);

// engine: the type name for messages; default_idle_seconds 0 = no reuse. Throws
// EngineConfigError naming the key.
DuplexOptions duplex_options(const EngineConfig& cfg, std::string engine, const std::string& url,
                             double default_idle_seconds);

// A number under key within [lo, hi] ("volume: must be between 0 and 100"); fallback
// when unset.
double bounded_number(const EngineConfig& cfg, const char* key, double lo, double hi, double fallback);

// A vendor's raw s16le PCM as a reply event (binary audio frames).
DuplexEvent pcm_event(std::string bytes, int sample_rate);

// A required string key ("appid: missing").
std::string required_string(const EngineConfig& cfg, const char* key);

}  // namespace xz::providers
