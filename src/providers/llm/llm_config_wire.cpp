#include "providers/llm/llm_config_wire.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace xz::providers::llm_config {

using json = nlohmann::json;

namespace {

double to_number(const json& v, const char* key) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    std::size_t used = 0;
    try {
      double d = std::stod(s, &used);
      if (used == s.size() && std::isfinite(d)) return d;
    } catch (const std::exception&) {
    }
  }
  throw EngineConfigError(fmt::format("{}: not a number", key));
}

std::chrono::milliseconds seconds_to_ms(double s) {
  return std::chrono::milliseconds(static_cast<long long>(std::llround(s * 1000.0)));
}

}  // namespace

void require_mapping(const EngineConfig& cfg) {
  if (!cfg.is_object()) throw EngineConfigError("not a mapping");
}

const json* find(const EngineConfig& cfg, const char* key) {
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return nullptr;
  if (it->is_string() && it->get_ref<const std::string&>().empty()) return nullptr;
  return &*it;
}

std::optional<std::string> opt_string(const EngineConfig& cfg, const char* key) {
  const json* v = find(cfg, key);
  if (!v) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number()) return v->dump();
  throw EngineConfigError(fmt::format("{}: not a string", key));
}

std::optional<double> opt_number(const EngineConfig& cfg, const char* key) {
  const json* v = find(cfg, key);
  if (!v) return std::nullopt;
  return to_number(*v, key);
}

std::optional<double> opt_positive(const EngineConfig& cfg, const char* key) {
  const json* v = find(cfg, key);
  if (!v) return std::nullopt;
  double d = NAN;
  try {
    d = to_number(*v, key);
  } catch (const EngineConfigError&) {
  }
  if (!std::isfinite(d) || d <= 0) throw EngineConfigError(fmt::format("{}: not a positive number", key));
  return d;
}

std::optional<bool> opt_bool(const EngineConfig& cfg, const char* key) {
  const json* v = find(cfg, key);
  if (!v) return std::nullopt;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) {
    std::string s = v->get<std::string>();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (s == "true" || s == "yes" || s == "on" || s == "1") return true;
    if (s == "false" || s == "no" || s == "off" || s == "0") return false;
  }
  throw EngineConfigError(fmt::format("{}: not a boolean", key));
}

std::optional<long long> opt_integer(const EngineConfig& cfg, const char* key, long long min_value) {
  auto d = opt_number(cfg, key);
  if (!d) return std::nullopt;
  if (*d != std::floor(*d) || *d < static_cast<double>(min_value) || *d > 1e15) {
    throw EngineConfigError(fmt::format("{}: not a whole number >= {}", key, min_value));
  }
  return static_cast<long long>(*d);
}

std::string base_url(const EngineConfig& cfg, const char* key, const char* fallback_key, std::string_view default_url) {
  const char* used = key;
  auto url = opt_string(cfg, key);
  if (!url && fallback_key) {
    url = opt_string(cfg, fallback_key);
    used = fallback_key;
  }
  if (!url) {
    if (default_url.empty()) {
      throw EngineConfigError(fallback_key ? fmt::format("{}: missing (set {} or {})", key, key, fallback_key)
                                           : fmt::format("{}: missing", key));
    }
    url = std::string(default_url);
  }
  if (!url->starts_with("http://") && !url->starts_with("https://")) {
    throw EngineConfigError(fmt::format("{}: not an http(s) URL: '{}'", used, *url));
  }
  while (!url->empty() && url->back() == '/') url->pop_back();
  return *url;
}

Timeouts timeouts(const EngineConfig& cfg, double default_total_seconds) {
  double total_s = default_total_seconds, connect_s = 10;
  if (const json* t = find(cfg, "timeout")) {
    if (t->is_object()) {
      double longest = 0;
      for (const auto& [k, v] : t->items()) {
        if (v.is_null()) continue;
        double s = to_number(v, "timeout");
        longest = std::max(longest, s);
        if (k == "connect") connect_s = s;
      }
      if (longest > 0) total_s = longest;
    } else {
      total_s = to_number(*t, "timeout");
    }
    if (total_s <= 0 || connect_s <= 0) throw EngineConfigError("timeout: must be > 0 seconds");
  }
  Timeouts out;
  out.total = seconds_to_ms(total_s);
  out.connect = std::min(seconds_to_ms(connect_s), out.total);
  return out;
}

std::string shorten(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  return std::string(s.substr(0, n)) + "...";
}

std::string named_message(std::string_view engine, std::string_view what) {
  if (what.starts_with(engine)) return std::string(what);
  return fmt::format("{}: {}", engine, what);
}

}  // namespace xz::providers::llm_config

namespace xz::providers::wire {

std::string string_at(const nlohmann::json& obj, const char* key, std::string fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool bool_at(const nlohmann::json& obj, const char* key, bool fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

}  // namespace xz::providers::wire
