#include "core/config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/config_keys.h"

namespace xz::core {

namespace {

std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "\n") + s;
  return out;
}

// YAML 1.2 core-schema resolution for plain (unquoted) scalars.
Json plain_scalar(const std::string& s) {
  static const std::regex kInt(R"([-+]?(0|[1-9][0-9]*))");
  static const std::regex kHex(R"(0x[0-9a-fA-F]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (std::regex_match(s, kInt)) {
    try {
      return std::stoll(s);
    } catch (const std::out_of_range&) {
      return std::stod(s);
    }
  }
  if (std::regex_match(s, kHex)) return std::stoll(s, nullptr, 16);
  if (std::regex_match(s, kFloat)) return std::stod(s);
  return s;
}

Json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      // Tag "!" marks a quoted scalar: always a string.
      if (n.Tag() == "!") return n.Scalar();
      return plain_scalar(n.Scalar());
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& item : n) arr.push_back(to_json(item));
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : n) obj[kv.first.as<std::string>()] = to_json(kv.second);
      return obj;
    }
  }
  return nullptr;
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw ConfigError({path + ": not a regular file"});
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError({path + ": cannot read file (" + std::strerror(errno) + ")"});
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error(join_lines(problems)), problems_(std::move(problems)) {}

Json Config::parse_yaml(std::string_view text, std::string_view origin) {
  try {
    YAML::Node n = YAML::Load(std::string(text));
    Json j = to_json(n);
    if (j.is_null()) return Json::object();  // an empty file is an empty override
    if (!j.is_object())
      throw ConfigError({std::string(origin) + ": the top level must be a mapping of keys"});
    return j;
  } catch (const YAML::Exception& e) {
    throw ConfigError({std::string(origin) + ": invalid YAML at line " +
                       std::to_string(e.mark.line + 1) + ", column " +
                       std::to_string(e.mark.column + 1) + ": " + e.msg});
  }
}

Config Config::load(const ConfigSource& src) {
  Config cfg;
  const Json defaults = parse_yaml(src.defaults_yaml, "built-in config/config.yaml");
  cfg.root_ = defaults;

  std::string path;
  if (src.path) {
    path = *src.path;
    if (!std::filesystem::exists(path)) throw ConfigError({path + ": file does not exist"});
  } else if (std::filesystem::exists(src.default_override_path)) {
    path = src.default_override_path;
  }
  Json user = Json::object();
  if (!path.empty()) {
    user = parse_yaml(read_file(path), path);
    deep_merge(cfg.root_, user);
    cfg.override_path_ = path;
  }
  expand_env(cfg.root_, cfg.warnings_);
  for (const auto& [key, value] : src.overrides) set_path(cfg.root_, key, value);
  auto problems = validate_config(cfg.root_, src.known_types, src.refused_types);
  if (!problems.empty()) throw ConfigError(std::move(problems));
  for (auto& w : unread_key_warnings(user, cfg.root_, defaults, src.known_types, src.extra_engine_keys))
    cfg.warnings_.push_back(std::move(w));
  for (auto& w : placeholder_warnings(cfg.root_)) cfg.warnings_.push_back(std::move(w));
  return cfg;
}

const Json* Config::find(std::string_view path) const {
  const Json* cur = &root_;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t dot = path.find('.', start);
    std::string key(path.substr(start, dot == std::string_view::npos ? std::string_view::npos
                                                                     : dot - start));
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return cur;
}

void set_path(Json& root, std::string_view path, Json value) {
  Json* cur = &root;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = path.find('.', start);
    std::string key(path.substr(start, dot == std::string_view::npos ? std::string_view::npos
                                                                     : dot - start));
    if (!cur->is_object()) *cur = Json::object();
    if (dot == std::string_view::npos) {
      (*cur)[key] = std::move(value);
      return;
    }
    cur = &(*cur)[key];
    start = dot + 1;
  }
}

void deep_merge(Json& base, const Json& over) {
  if (!base.is_object() || !over.is_object()) {
    base = over;
    return;
  }
  for (auto it = over.begin(); it != over.end(); ++it) {
    auto b = base.find(it.key());
    if (b != base.end() && b->is_object() && it->is_object()) {
      deep_merge(*b, *it);
    } else {
      base[it.key()] = *it;
    }
  }
}

void expand_env(Json& node, std::vector<std::string>& warnings, const std::string& path) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it)
      expand_env(*it, warnings, path.empty() ? it.key() : path + "." + it.key());
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      expand_env(node[i], warnings, path + "[" + std::to_string(i) + "]");
  } else if (node.is_string()) {
    const std::string& s = node.get_ref<const std::string&>();
    if (s.find("${") == std::string::npos) return;
    static const std::regex kVar(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\})");
    std::string out;
    auto begin = std::sregex_iterator(s.begin(), s.end(), kVar);
    std::size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      const auto& m = *it;
      out.append(s, last, static_cast<std::size_t>(m.position()) - last);
      const char* v = std::getenv(m[1].str().c_str());
      if (v && *v) {
        out += v;
      } else if (m[2].matched) {
        out += m[3].str();
      } else {
        warnings.push_back(path + ": environment variable " + m[1].str() + " is not set");
      }
      last = static_cast<std::size_t>(m.position() + m.length());
    }
    out.append(s, last);
    node = out;
  }
}

bool is_secret_key(std::string_view key) {
  std::string k(key);
  for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const char* kWords[] = {"api_key", "apikey",   "secret",     "password", "token",
                                 "auth_key", "access_key", "private_key", "signature_key"};
  for (const char* w : kWords)
    if (k.find(w) != std::string::npos) return true;
  return false;
}

bool is_placeholder(std::string_view value) { return value.find("你的") != std::string_view::npos; }

namespace {

// A URL's query can carry a credential (mcp_endpoint's ?token=...): mask those values.
void mask_query_secrets(std::string& s) {
  const auto q = s.find('?');
  if (q == std::string::npos || s.find("://") == std::string::npos) return;
  std::string out = s.substr(0, q + 1);
  for (std::size_t at = q + 1;;) {
    const auto amp = s.find('&', at);
    const std::string_view pair(s.data() + at, (amp == std::string::npos ? s.size() : amp) - at);
    const auto eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    if (eq != std::string_view::npos && eq + 1 < pair.size() && (is_secret_key(name) || name == "key"))
      out.append(name).append("=***");
    else
      out.append(pair);
    if (amp == std::string::npos) break;
    out += '&';
    at = amp + 1;
  }
  s = std::move(out);
}

void mask(Json& node) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (is_secret_key(it.key()) && it->is_string() && !it->get_ref<const std::string&>().empty())
        *it = "***";
      else
        mask(*it);
    }
  } else if (node.is_array()) {
    for (auto& v : node) mask(v);
  } else if (node.is_string()) {
    mask_query_secrets(node.get_ref<std::string&>());
  }
}

}  // namespace

Json Config::masked() const {
  Json copy = root_;
  mask(copy);
  return copy;
}

}  // namespace xz::core
