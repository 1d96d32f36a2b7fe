#pragma once
// The config keys every streaming WebSocket ASR engine reads the same way: its endpoint
// (the reference's key, else `endpoint`; ws:// accepted for proxies and tests), timeout
// (seconds to connect and, after the end of audio, for the final answer; default 10),
// ca_file (an extra trusted CA for wss://).
#include <initializer_list>
#include <string>
#include <string_view>

#include "providers/asr/ws_asr_session.h"
#include "providers/provider_context.h"

namespace xz::providers {

// Throws EngineConfigError naming the key.
WsAsrOptions stream_asr_options(const EngineConfig& cfg, std::string engine, const std::string& url);

}  // namespace xz::providers
