#include "tools/builtin/plugin_config.h"

#include <cctype>
#include <cmath>

#include <fmt/format.h>

namespace xz::tools::builtin {

PluginConfig::PluginConfig(const core::Config& cfg, std::string plugin, std::vector<std::string>& problems)
    : cfg_(cfg), plugin_(std::move(plugin)), problems_(problems) {}

std::string PluginConfig::path(std::string_view key) const { return fmt::format("plugins.{}.{}", plugin_, key); }

const nlohmann::json* PluginConfig::find(std::string_view key) const {
  const nlohmann::json* node = cfg_.find(path(key));
  return node && !node->is_null() ? node : nullptr;
}

const nlohmann::json* PluginConfig::settings() const {
  const nlohmann::json* node = cfg_.find("plugins." + plugin_);
  return node && node->is_object() ? node : nullptr;
}

void PluginConfig::problem(std::string_view key, std::string_view reason) const {
  problems_.push_back(fmt::format("{}: {}", path(key), reason));
}

std::string PluginConfig::str(std::string_view key, std::string fallback) const {
  const auto* node = find(key);
  if (!node) return fallback;
  if (node->is_string()) return node->get<std::string>();
  if (node->is_number()) return node->dump();
  problem(key, "expected a string");
  return fallback;
}

double PluginConfig::number(std::string_view key, double fallback, double min, double max) const {
  const auto* node = find(key);
  if (!node) return fallback;
  double v = 0;
  if (node->is_number()) {
    v = node->get<double>();
  } else if (node->is_string()) {
    try {
      std::size_t used = 0;
      const auto s = node->get<std::string>();
      v = std::stod(s, &used);
      if (used != s.size()) throw std::invalid_argument(s);
    } catch (const std::exception&) {
      problem(key, fmt::format("expected a number, got {}", node->dump()));
      return fallback;
    }
  } else {
    problem(key, fmt::format("expected a number, got {}", node->dump()));
    return fallback;
  }
  if (!std::isfinite(v) || v < min || v > max) {
    problem(key, fmt::format("{} is outside {}-{}", v, min, max));
    return fallback;
  }
  return v;
}

int PluginConfig::integer(std::string_view key, int fallback, int min, int max) const {
  const auto* node = find(key);
  if (node && node->is_number_float()) {
    problem(key, fmt::format("expected a whole number, got {}", node->dump()));
    return fallback;
  }
  return static_cast<int>(number(key, fallback, min, max));
}

bool PluginConfig::boolean(std::string_view key, bool fallback) const {
  const auto* node = find(key);
  if (!node) return fallback;
  if (node->is_boolean()) return node->get<bool>();
  if (node->is_string()) {
    std::string s = node->get<std::string>();
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "true" || s == "1" || s == "yes") return true;
    if (s == "false" || s == "0" || s == "no" || s.empty()) return false;
  }
  problem(key, fmt::format("expected true or false, got {}", node->dump()));
  return fallback;
}

std::vector<std::string> PluginConfig::string_list(std::string_view key, std::vector<std::string> fallback) const {
  const auto* node = find(key);
  if (!node) return fallback;
  std::vector<std::string> out;
  if (node->is_string()) {
    const auto text = node->get<std::string>();
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(start, end - start);
      while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
      if (!line.empty()) out.push_back(std::move(line));
      start = end + 1;
    }
    return out;
  }
  if (!node->is_array()) {
    problem(key, "expected a list of strings");
    return fallback;
  }
  for (std::size_t i = 0; i < node->size(); ++i) {
    const auto& item = (*node)[i];
    if (!item.is_string()) {
      problem(fmt::format("{}[{}]", key, i), "expected a string");
      continue;
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace xz::tools::builtin
