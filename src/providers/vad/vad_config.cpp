#include "providers/vad/vad_config.h"

#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace xz::providers {

double vad_config_number(const EngineConfig& cfg, std::string_view key, double def, double lo, double hi) {
  if (!cfg.is_object()) {
    if (cfg.is_null()) return def;
    throw EngineConfigError("VAD engine config must be a mapping");
  }
  auto it = cfg.find(std::string(key));
  if (it == cfg.end() || it->is_null()) return def;
  double v = 0;
  if (it->is_number()) {
    v = it->get<double>();
  } else if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    char* end = nullptr;
    v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size())
      throw EngineConfigError(fmt::format("{}: '{}' is not a number", key, s));
  } else {
    throw EngineConfigError(fmt::format("{}: must be a number", key));
  }
  if (!(v >= lo && v <= hi)) throw EngineConfigError(fmt::format("{}: {} is outside [{}, {}]", key, v, lo, hi));
  return v;
}

std::uint64_t speculative_silence_samples(const EngineConfig& cfg, std::uint64_t min_silence_samples) {
  const auto samples = static_cast<std::uint64_t>(vad_config_number(cfg, "speculative_silence_ms", 100, 0, 60'000) * 16);
  return samples >= min_silence_samples ? 0 : samples;
}

}  // namespace xz::providers
