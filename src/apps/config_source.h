#pragma once
// Where the server's configuration comes from and what this build supports: the one
// ConfigSource the binary, --check-config and the tests load with, so validation and
// the warnings about unread keys always match the code.
#include "core/config.h"

namespace xz::apps {

// The built-in config/config.yaml, the engine types of every provider kind (engines,
// Memory, Intent) and the keys the engines read besides those the defaults show.
// The caller sets `path` and `overrides`.
core::ConfigSource server_config_source();

}  // namespace xz::apps
