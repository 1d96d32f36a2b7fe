#pragma once
// Warnings about what a user's override file holds that this server does not use: keys
// no code reads, entries of engine types it does not implement, and selected engines'
// values still holding the reference's placeholder text. Warnings only: a copy of the
// reference's whole config.yaml loads, and the user learns what has no effect.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config_schema.h"

namespace xz::core {

// `user` is the override file as parsed, `merged` the effective configuration, and
// `defaults` the built-in config/config.yaml, which shows every key the server reads
// (keys under a default of null or {} are free-form). Provider entries are checked
// against the keys of the default entries of the same type plus `extra`.
std::vector<std::string> unread_key_warnings(const nlohmann::json& user, const nlohmann::json& merged,
                                             const nlohmann::json& defaults, const KnownProviderTypes& known,
                                             const ExtraEngineKeys& extra);

// Values of the selected engines' entries, and of the settings of the functions the
// selected Intent entry enables, that still hold placeholder text ("你的...").
std::vector<std::string> placeholder_warnings(const nlohmann::json& merged);

}  // namespace xz::core
