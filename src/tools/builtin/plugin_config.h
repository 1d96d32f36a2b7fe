#pragma once
// One built-in function's settings (plugins.<name>.*), read with clear problems: every
// bad value is recorded with its key path, and the registry reports them all at once.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config.h"

namespace xz::tools::builtin {

class PluginConfig {
 public:
  // Problems found are appended to `problems` ("plugins.get_weather.timeout: ...").
  PluginConfig(const core::Config& cfg, std::string plugin, std::vector<std::string>& problems);

  const std::string& plugin() const { return plugin_; }
  std::string path(std::string_view key) const;  // "plugins.<plugin>.<key>"
  // The node, or nullptr when absent or null.
  const nlohmann::json* find(std::string_view key) const;
  // plugins.<plugin> itself when it is a mapping, else nullptr.
  const nlohmann::json* settings() const;

  std::string str(std::string_view key, std::string fallback) const;
  double number(std::string_view key, double fallback, double min, double max) const;
  int integer(std::string_view key, int fallback, int min, int max) const;
  // true/false, or the strings "true"/"false" (the manager sends every value as text).
  bool boolean(std::string_view key, bool fallback) const;
  // A list of strings; a single string is split into lines.
  std::vector<std::string> string_list(std::string_view key, std::vector<std::string> fallback) const;
  // plugins.<plugin>.description, the reference server's way to reword a function.
  std::string description(std::string fallback) const { return str("description", std::move(fallback)); }

  void problem(std::string_view key, std::string_view reason) const;

 private:
  const core::Config& cfg_;
  std::string plugin_;
  std::vector<std::string>& problems_;
};

}  // namespace xz::tools::builtin
