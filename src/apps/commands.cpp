#include "apps/commands.h"

#include <iostream>

#include "apps/cli.h"

namespace xz::apps {

int run_command(const core::Config& /*cfg*/, const std::vector<std::string>& command) {
  std::cerr << "xiaozhi-server: unknown command '" << command.front() << "'\n\n" << cli_usage();
  return 2;
}

}  // namespace xz::apps
