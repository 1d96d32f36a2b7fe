#pragma once
// Reading a VAD engine's numeric settings with errors that name the key.
#include <cstdint>
#include <string_view>

#include "providers/provider_context.h"

namespace xz::providers {

// cfg[key] as a number in [lo, hi]; `def` when the key is missing or null. A numeric
// string ("0.5", e.g. after ${ENV} expansion) is accepted. Anything else throws
// EngineConfigError naming the key.
double vad_config_number(const EngineConfig& cfg, std::string_view key, double def, double lo, double hi);

// speculative_silence_ms (default 100) in 16 kHz samples: the tentative end of speech a
// speculative reply starts on. 0 when off: set to 0, or not shorter than the endpoint.
std::uint64_t speculative_silence_samples(const EngineConfig& cfg, std::uint64_t min_silence_samples);

}  // namespace xz::providers
