#pragma once
// Where the built-in functions read "now" and the server's UTC offset; tests set both.
#include <chrono>
#include <functional>

namespace xz::tools::builtin {

struct WallClock {
  double utc_offset_hours = 8;  // server.timezone_offset
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

}  // namespace xz::tools::builtin
