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

std::vector<std::string> validate_config(const nlohmann::json& root,
                                         const KnownProviderTypes& known = {});

// The `type` of the entry selected for a provider kind: the entry's `type` key, else
// the entry name itself (the reference server's rule). Empty when nothing is selected.
std::string selected_provider_type(const nlohmann::json& root, const std::string& kind);

}  // namespace xz::core
