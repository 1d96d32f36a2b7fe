#pragma once
// Start-up validation of the merged configuration: every problem names its key path
// and the reason, e.g. "server.port: expected an integer 1-65535, got \"abc\"".
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::core {

// Provider kinds whose selected entry must exist ("VAD", "ASR", ...), mapped to the
// engine types this build supports. An empty set means "any type is accepted".
using KnownProviderTypes = std::map<std::string, std::set<std::string>>;

// server.admin_token, when set, has at least this many characters.
inline constexpr std::size_t kMinAdminTokenChars = 32;

// Keys an engine type reads that no built-in default entry of that type shows (aliases
// such as `url` for `base_url`), by "<kind>.<type>", e.g. "LLM.openai".
using ExtraEngineKeys = std::map<std::string, std::set<std::string>>;

// Engine types this build knows but cannot have, by "<kind>.<type>", with the reason
// ("Memory.powermem" -> "the reference runs it as a Python library ..."); selecting one
// is a problem that says why.
using RefusedProviderTypes = std::map<std::string, std::string>;

// The provider sections of the reference's schema, in its order.
const std::vector<std::string>& provider_kinds();

// Entries that are not selected are kept as they are: only their being a mapping is
// checked, so the reference's many engine types load. A selected entry of a type this
// build does not support is one problem naming the section, entry, type and the
// supported types.
std::vector<std::string> validate_config(const nlohmann::json& root,
                                         const KnownProviderTypes& known = {},
                                         const RefusedProviderTypes& refused = {});

// The `type` of the entry selected for a provider kind: the entry's `type` key, else
// the entry name itself (the reference server's rule). Empty when nothing is selected.
std::string selected_provider_type(const nlohmann::json& root, const std::string& kind);

// "selected_module.TTS: EdgeTTS has type 'edge', which this server does not support
// (supported: espeak, flite, openai)", followed by ": <reason>" when one is given.
std::string unsupported_type_problem(const std::string& kind, const std::string& entry, const std::string& type,
                                     const std::set<std::string>& supported, const std::string& reason = {});

}  // namespace xz::core
