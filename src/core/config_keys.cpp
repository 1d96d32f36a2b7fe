#include "core/config_keys.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/config.h"

namespace xz::core {

namespace {

using Json = nlohmann::json;

const Json* child(const Json& j, const std::string& key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// An entry's engine type: its `type`, else its name (the reference's rule).
std::string entry_type(const Json& root, const std::string& kind, const std::string& name) {
  const Json* section = child(root, kind);
  const Json* entry = section ? child(*section, name) : nullptr;
  const Json* type = entry ? child(*entry, "type") : nullptr;
  if (type && type->is_string() && !type->get<std::string>().empty()) return type->get<std::string>();
  return name;
}

std::string selected_entry(const Json& root, const std::string& kind) {
  const Json* sel = child(root, "selected_module");
  const Json* name = sel ? child(*sel, kind) : nullptr;
  return name && name->is_string() ? name->get<std::string>() : std::string();
}

// Keys of `user` that `defaults` does not show, recursively. A default that is not a
// mapping, or an empty one, ends the walk: a leaf, a list, or a free-form mapping.
void walk(const Json& user, const Json& defaults, const std::string& path, std::vector<std::string>& out) {
  if (!user.is_object() || !defaults.is_object() || defaults.empty()) return;
  for (auto it = user.begin(); it != user.end(); ++it) {
    const std::string p = path + "." + it.key();
    auto d = defaults.find(it.key());
    if (d == defaults.end())
      out.push_back(p + ": not read by this server (ignored)");
    else
      walk(*it, *d, p, out);
  }
}

// One provider section (ASR, TTS, ...): entries of supported types are compared with the
// keys of the default entries of the same type; entries of other types are listed once.
void provider_section(const std::string& kind, const Json& user_section, const Json& merged, const Json& defaults,
                      const KnownProviderTypes& known, const ExtraEngineKeys& extra, std::vector<std::string>& out) {
  if (!user_section.is_object()) return;
  const Json* default_section = child(defaults, kind);
  const auto supported = known.find(kind);
  const bool types_known = supported != known.end() && !supported->second.empty();
  const std::string selected = selected_entry(merged, kind);

  std::vector<std::string> unsupported;                    // "EdgeTTS (edge)"
  std::map<std::string, std::vector<std::string>> unread;  // key -> entries holding it
  for (auto it = user_section.begin(); it != user_section.end(); ++it) {
    if (!it->is_object()) continue;
    const std::string& name = it.key();
    const std::string type = entry_type(merged, kind, name);
    if (types_known && !supported->second.count(type)) {
      // The selected one is a configuration error, reported by validate_config.
      if (name != selected) unsupported.push_back(name + " (" + type + ")");
      continue;
    }
    std::set<std::string> keys;
    bool documented = false;
    if (default_section && default_section->is_object()) {
      for (auto d = default_section->begin(); d != default_section->end(); ++d) {
        if (!d->is_object() || entry_type(defaults, kind, d.key()) != type) continue;
        documented = true;
        for (auto k = d->begin(); k != d->end(); ++k) keys.insert(k.key());
      }
    }
    if (auto x = extra.find(kind + "." + type); x != extra.end()) {
      documented = true;
      keys.insert(x->second.begin(), x->second.end());
    }
    // A type no default entry shows: nothing to compare with.
    if (!documented) continue;
    keys.insert("type");
    for (auto k = it->begin(); k != it->end(); ++k)
      if (!keys.count(k.key())) unread[k.key()].push_back(name);
  }
  for (const auto& [key, names] : unread)
    out.push_back(kind + ": " + key + " is not read by this server (ignored in " + joined(names) + ")");
  if (!unsupported.empty())
    out.push_back(kind + ": " + std::to_string(unsupported.size()) +
                  (unsupported.size() == 1 ? " entry has an engine type" : " entries have engine types") +
                  " this server does not implement; kept, not used: " + joined(unsupported));
}

std::string shortened(const std::string& s) {
  if (s.size() <= 60) return s;
  // Cut on a UTF-8 character boundary.
  std::size_t n = 57;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

void placeholders_in(const Json& node, const std::string& path, std::vector<std::string>& out) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) placeholders_in(*it, path + "." + it.key(), out);
  } else if (node.is_string() && is_placeholder(node.get_ref<const std::string&>())) {
    out.push_back(path + ": still holds the placeholder \"" + shortened(node.get<std::string>()) +
                  "\"; set it, or what needs it will fail");
  }
}

}  // namespace

std::vector<std::string> unread_key_warnings(const Json& user, const Json& merged, const Json& defaults,
                                             const KnownProviderTypes& known, const ExtraEngineKeys& extra) {
  std::vector<std::string> out;
  if (!user.is_object()) return out;
  const auto& kinds = provider_kinds();
  for (auto it = user.begin(); it != user.end(); ++it) {
    if (std::find(kinds.begin(), kinds.end(), it.key()) != kinds.end()) {
      provider_section(it.key(), *it, merged, defaults, known, extra, out);
    } else if (const Json* d = child(defaults, it.key())) {
      walk(*it, *d, it.key(), out);
    } else {
      out.push_back(it.key() + ": not read by this server (ignored)");
    }
  }
  return out;
}

std::vector<std::string> placeholder_warnings(const Json& merged) {
  std::vector<std::string> out;
  for (const auto& kind : provider_kinds()) {
    const std::string name = selected_entry(merged, kind);
    const Json* section = child(merged, kind);
    const Json* entry = section ? child(*section, name) : nullptr;
    if (entry) placeholders_in(*entry, kind + "." + name, out);
  }
  // The settings of the functions the selected Intent entry enables.
  const std::string intent = selected_entry(merged, "Intent");
  const Json* intents = child(merged, "Intent");
  const Json* entry = intents ? child(*intents, intent) : nullptr;
  const Json* functions = entry ? child(*entry, "functions") : nullptr;
  const Json* plugins = child(merged, "plugins");
  if (!functions || !functions->is_array() || !plugins) return out;
  std::set<std::string> seen;
  for (const auto& f : *functions) {
    if (!f.is_string()) continue;
    std::string name = f.get<std::string>();
    if (name.rfind("hass_", 0) == 0) name = "home_assistant";  // their shared settings
    if (!seen.insert(name).second) continue;
    if (const Json* settings = child(*plugins, name)) placeholders_in(*settings, "plugins." + name, out);
  }
  return out;
}

}  // namespace xz::core
