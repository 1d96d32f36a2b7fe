#pragma once
// Reading a TTS engine's config entry the way the reference's engines do (absent, null
// and "" mean "not set"; see providers/llm/llm_config_wire.h for numbers and timeouts).
#include <initializer_list>
#include <span>
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

// The manager-api's voice settings: ttsVolume, ttsRate, ttsPitch, percentages (-100..100)
// in an agent's TTS entry, mapped onto an engine's own key as the reference's
// convert_percentage_to_range does: 0 is `base`, -100 is `min`, 100 is `max`, linear in
// between, clamped to [min, max].
struct ManagerVoiceSetting {
  const char* manager_key;  // ttsVolume, ttsRate, ttsPitch
  const char* engine_key;   // a JSON pointer into the entry: "/volume", "/audio_params/loudness_rate"
  double min, max, base;
  enum class Kind { integer, tenths, real } kind;  // Python's int(), round(v, 1), the value
};
double percentage_to_range(double percentage, double min, double max, double base);
// The settings the engine `type` takes, as the reference maps them (none for the others).
std::span<const ManagerVoiceSetting> manager_voice_settings(std::string_view type);
// `cfg` with the manager's percentages written onto the engine's keys (a percentage
// absent or null leaves the key as configured). Throws EngineConfigError for a
// percentage that is not a number.
EngineConfig with_manager_voice_settings(std::string_view type, EngineConfig cfg);

}  // namespace xz::providers::tts_config
