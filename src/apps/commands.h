#pragma once
// Sub-commands of xiaozhi-server that work on the data directory and exit.
#include <string>
#include <vector>

#include "core/config.h"

namespace xz::apps {

// Runs `command` (e.g. {"devices", "bind", "123456"}); returns the process exit code.
int run_command(const core::Config& cfg, const std::vector<std::string>& command);

}  // namespace xz::apps
