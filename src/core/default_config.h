#pragma once
#include <string_view>

namespace xz::core {
// The text of config/config.yaml as it was at build time.
std::string_view default_config_yaml();
// The text of config/agent-base-prompt.txt as it was at build time: the prompt_template
// the name "agent-base-prompt.txt" stands for when no such file is found.
std::string_view default_prompt_template();
}  // namespace xz::core
