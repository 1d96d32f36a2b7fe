#pragma once
#include <string_view>

namespace xz::core {
// The text of config/config.yaml as it was at build time.
std::string_view default_config_yaml();
}  // namespace xz::core
