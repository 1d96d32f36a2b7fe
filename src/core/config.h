#pragma once
// Configuration: the built-in defaults (config/config.yaml) deep-merged with a user
// override (data/.config.yaml or --config PATH), ${ENV} expanded, then validated.
// The tree is kept as JSON so any layer can read its own keys by path.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config_schema.h"

namespace xz::core {

using Json = nlohmann::json;

// Every problem found while loading, each naming the key path and the reason.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

struct ConfigSource {
  std::string defaults_yaml;         // text of config/config.yaml
  std::optional<std::string> path;   // --config PATH; required to exist when given
  std::string default_override_path = "data/.config.yaml";  // optional
  // Values set on the command line ("server.port" -> 9000), applied last.
  std::vector<std::pair<std::string, Json>> overrides;
  // Engine types this build supports, per provider kind (checked when non-empty).
  KnownProviderTypes known_types;
  // Types this build refuses with a reason (selecting one says why).
  RefusedProviderTypes refused_types;
  // Keys engines read that their built-in default entries do not show; with the
  // defaults they decide which keys of the override file are reported as not read.
  ExtraEngineKeys extra_engine_keys;
};

class Config {
 public:
  Config() = default;
  explicit Config(Json root) : root_(std::move(root)) {}

  // Loads, merges, expands and validates. Throws ConfigError.
  static Config load(const ConfigSource& src);
  // Parses YAML text into JSON (plain scalars typed as YAML 1.2 core; quoted ones stay
  // strings). Throws ConfigError naming `origin`.
  static Json parse_yaml(std::string_view text, std::string_view origin);

  const Json& root() const { return root_; }
  Json& mutable_root() { return root_; }
  // The override file that was applied, if any.
  const std::string& override_path() const { return override_path_; }
  // Warnings found while loading: an unset environment variable, a key of the override
  // file that no code reads, a selected engine's key still holding placeholder text.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Node at a dotted path ("server.auth.enabled"), or nullptr.
  const Json* find(std::string_view path) const;
  // Typed read with a fallback for absent or null keys. Validation has already
  // checked the types of known keys, so a mismatch here falls back too.
  template <class T>
  T get(std::string_view path, T fallback) const {
    const Json* j = find(path);
    if (!j || j->is_null()) return fallback;
    try {
      return j->get<T>();
    } catch (const Json::exception&) {
      return fallback;
    }
  }
  std::string str(std::string_view path, std::string fallback = {}) const {
    return get<std::string>(path, std::move(fallback));
  }

  // The configuration with every secret replaced by "***" (for --check-config, logs).
  Json masked() const;

 private:
  Json root_ = Json::object();
  std::string override_path_;
  std::vector<std::string> warnings_;
};

// Sets the value at a dotted path, creating maps on the way.
void set_path(Json& root, std::string_view path, Json value);
// Maps merge key by key; scalars and lists in `over` replace those in `base`.
void deep_merge(Json& base, const Json& over);
// Expands ${VAR} and ${VAR:-default} in every string. Unset variables without a
// default become "" and are reported in `warnings` with their key path.
void expand_env(Json& node, std::vector<std::string>& warnings, const std::string& path = "");
bool is_secret_key(std::string_view key);
// The reference's config.yaml marks values the user must fill in with text such as
// "ws://你的ip或者域名:端口号/xiaozhi/v1/"; such a URL means "work it out".
bool is_placeholder(std::string_view value);

}  // namespace xz::core
