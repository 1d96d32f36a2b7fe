#include "providers/tts/tts_config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "providers/llm/llm_config_wire.h"

namespace xz::providers::tts_config {

std::string endpoint(const EngineConfig& cfg, std::initializer_list<const char*> keys, std::string_view fallback,
                     std::initializer_list<std::string_view> schemes) {
  std::string url(fallback);
  std::string key = "url";
  for (const char* k : keys) {
    if (auto v = llm_config::opt_string(cfg, k)) {
      url = *v;
      key = k;
      break;
    }
  }
  if (url.empty()) throw EngineConfigError(fmt::format("{}: missing", keys.size() ? *keys.begin() : "url"));
  for (auto scheme : schemes) {
    if (url.starts_with(fmt::format("{}://", scheme)) && url.size() > scheme.size() + 3) return url;
  }
  std::vector<std::string> names;
  for (auto scheme : schemes) names.push_back(fmt::format("{}://", scheme));
  throw EngineConfigError(fmt::format("{}: not a {} URL: '{}'", key, fmt::join(names, " or "), url));
}

std::string voice(const EngineConfig& cfg, const char* key, std::string_view fallback) {
  if (auto v = llm_config::opt_string(cfg, "private_voice")) return *v;
  if (auto v = llm_config::opt_string(cfg, key)) return *v;
  return std::string(fallback);
}

std::vector<std::string> string_list(const EngineConfig& cfg, const char* key) {
  std::vector<std::string> out;
  const nlohmann::json* v = llm_config::find(cfg, key);
  if (!v) return out;
  auto add = [&](std::string_view item) {
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
  };
  if (v->is_string()) {
    std::string_view rest = v->get_ref<const std::string&>();
    for (auto at = rest.find(';'); at != std::string_view::npos; at = rest.find(';')) {
      add(rest.substr(0, at));
      rest.remove_prefix(at + 1);
    }
    add(rest);
  } else if (v->is_array()) {
    for (const auto& item : *v) {
      if (item.is_string()) out.push_back(item.get<std::string>());
      else if (item.is_number()) out.push_back(item.dump());
      else if (!item.is_null()) throw EngineConfigError(fmt::format("{}: items must be text", key));
    }
  } else {
    throw EngineConfigError(fmt::format("{}: not a list", key));
  }
  return out;
}

audio::AudioFormat audio_format(const EngineConfig& cfg, const char* key, std::string_view fallback) {
  const std::string name = llm_config::opt_string(cfg, key).value_or(std::string(fallback));
  if (auto f = audio::audio_format_from_name(name)) return *f;
  throw EngineConfigError(fmt::format("{}: '{}' is not an audio format (mp3, opus, aac, flac, wav or pcm)", key, name));
}

double percentage_to_range(double percentage, double min, double max, double base) {
  const double v = percentage < 0 ? base + (base - min) * (percentage / 100) : base + (max - base) * (percentage / 100);
  return std::max(min, std::min(max, v));
}

std::span<const ManagerVoiceSetting> manager_voice_settings(std::string_view type) {
  using K = ManagerVoiceSetting::Kind;
  // The reference's TTS_PARAM_CONFIG of each engine (and huoshan's own mapping).
  static const ManagerVoiceSetting edge[] = {{"ttsVolume", "/volume", 0, 100, 50, K::integer},
                                             {"ttsRate", "/rate", -100, 100, 0, K::integer},
                                             {"ttsPitch", "/pitch", -100, 100, 0, K::integer}};
  static const ManagerVoiceSetting aliyun[] = {{"ttsVolume", "/volume", 0, 100, 50, K::integer},
                                               {"ttsRate", "/speech_rate", -500, 500, 0, K::integer},
                                               {"ttsPitch", "/pitch_rate", -500, 500, 0, K::integer}};
  static const ManagerVoiceSetting huoshan[] = {
      {"ttsVolume", "/audio_params/loudness_rate", -50, 100, 0, K::integer},
      {"ttsRate", "/audio_params/speech_rate", -50, 100, 0, K::integer},
      {"ttsPitch", "/additions/post_process/pitch", -12, 12, 0, K::integer}};
  static const ManagerVoiceSetting alibl[] = {{"ttsVolume", "/volume", 0, 100, 50, K::integer},
                                              {"ttsRate", "/rate", 0.5, 2.0, 1.0, K::tenths},
                                              {"ttsPitch", "/pitch", 0.5, 2.0, 1.0, K::tenths}};
  // Xunfei's speed/volume/pitch are 0-100 around 50, as its entry's defaults.
  static const ManagerVoiceSetting xunfei[] = {{"ttsVolume", "/volume", 0, 100, 50, K::integer},
                                               {"ttsRate", "/speed", 0, 100, 50, K::integer},
                                               {"ttsPitch", "/pitch", 0, 100, 50, K::integer}};
  static const ManagerVoiceSetting openai[] = {{"ttsRate", "/speed", 0.25, 4.0, 1.0, K::real}};
  static const ManagerVoiceSetting minimax[] = {{"ttsVolume", "/voice_setting/vol", 0.1, 10, 1, K::real},
                                                {"ttsRate", "/voice_setting/speed", 0.5, 2, 1, K::real},
                                                {"ttsPitch", "/voice_setting/pitch", -12, 12, 0, K::integer}};
  static const std::map<std::string_view, std::span<const ManagerVoiceSetting>> by_type = {
      {"edge", edge},       {"aliyun", aliyun},     {"aliyun_stream", aliyun},
      {"huoshan_double_stream", huoshan},           {"alibl_stream", alibl},
      {"xunfei_stream", xunfei}, {"openai", openai}, {"minimax_httpstream", minimax}};
  auto it = by_type.find(type);
  return it == by_type.end() ? std::span<const ManagerVoiceSetting>() : it->second;
}

EngineConfig with_manager_voice_settings(std::string_view type, EngineConfig cfg) {
  if (!cfg.is_object()) return cfg;
  for (const auto& m : manager_voice_settings(type)) {
    const nlohmann::json* v = llm_config::find(cfg, m.manager_key);
    if (!v || v->is_null()) continue;
    double pct = 0;
    if (v->is_number()) {
      pct = v->get<double>();
    } else if (v->is_string()) {  // "20" from a form
      const auto& t = v->get_ref<const std::string&>();
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), pct);
      if (ec != std::errc() || p != t.data() + t.size() || t.empty())
        throw EngineConfigError(fmt::format("{}: '{}' is not a percentage", m.manager_key, t));
    } else {
      throw EngineConfigError(fmt::format("{}: not a percentage", m.manager_key));
    }
    if (!std::isfinite(pct)) throw EngineConfigError(fmt::format("{}: not a percentage", m.manager_key));
    const double mapped = percentage_to_range(pct, m.min, m.max, m.base);
    nlohmann::json value;
    switch (m.kind) {
      case ManagerVoiceSetting::Kind::integer: value = static_cast<long long>(std::trunc(mapped)); break;
      case ManagerVoiceSetting::Kind::tenths: value = std::round(mapped * 10) / 10; break;
      case ManagerVoiceSetting::Kind::real: value = mapped; break;
    }
    const nlohmann::json::json_pointer at(m.engine_key);
    // A nested key goes into the user's own mapping (merged over the defaults by the engine).
    if (!cfg.contains(at.parent_pointer()) || !cfg[at.parent_pointer()].is_object())
      cfg[at.parent_pointer()] = nlohmann::json::object();
    cfg[at] = std::move(value);
  }
  return cfg;
}

}  // namespace xz::providers::tts_config
