#include "providers/tts/tts_config.h"

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

}  // namespace xz::providers::tts_config
