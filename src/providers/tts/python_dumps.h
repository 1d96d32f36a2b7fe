#pragma once
// JSON text exactly as the reference's Python writes it with json.dumps defaults
// (", " and ": " separators, non-ASCII as \uXXXX, keys in insertion order), so the
// vendor sees byte for byte what the reference sends and known-answer tests can
// compare frames.
#include <string>

#include <nlohmann/json.hpp>

namespace xz::providers {

std::string python_dumps(const nlohmann::ordered_json& value);

}  // namespace xz::providers
