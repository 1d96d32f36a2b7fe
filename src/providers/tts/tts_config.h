#pragma once
// Reading a TTS engine's config entry the way the reference's engines do (absent, null
// and "" mean "not set"; see providers/llm/llm_config_wire.h for numbers and timeouts).
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "audio/audio_stream_decoder.h"
#include "providers/provider_context.h"

namespace xz::providers::tts_config {

// The URL under the first of `keys` that is set, else `fallback`. Its scheme must be one
// of `schemes` ("http", "https", "ws", "wss"): private deployments, proxies and tests
// put their own endpoint there. Throws EngineConfigError naming the key.
std::string endpoint(const EngineConfig& cfg, std::initializer_list<const char*> keys, std::string_view fallback,
                     std::initializer_list<std::string_view> schemes);

// The voice: the manager-api's per-agent `private_voice` wins over `key`, else fallback.
std::string voice(const EngineConfig& cfg, const char* key, std::string_view fallback);

// A list as the reference reads one (parse_string_to_list): a YAML list, or text split
// at ';'; absent, null and "" are empty. Items are strings (numbers as written).
std::vector<std::string> string_list(const EngineConfig& cfg, const char* key);

// The audio format named under `key` (mp3, opus, ogg, aac, flac, wav, pcm), else fallback.
audio::AudioFormat audio_format(const EngineConfig& cfg, const char* key, std::string_view fallback);

}  // namespace xz::providers::tts_config
