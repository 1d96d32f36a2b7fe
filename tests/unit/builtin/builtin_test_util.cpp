#include "builtin_test_util.h"

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>


namespace xz::test {

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() / ("xz-builtin-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void run_command(const std::string& command) {
  std::string output;
  FILE* p = ::popen((command + " </dev/null 2>&1").c_str(), "r");  // never wait on an inherited stdin
  if (!p) throw std::runtime_error("popen failed: " + command);
  std::array<char, 512> buf;
  while (std::fgets(buf.data(), buf.size(), p)) output += buf.data();
  int status = ::pclose(p);
  if (status != 0) throw std::runtime_error("command failed (" + std::to_string(status) + "): " + command + "\n" + output);
}

std::vector<int> child_pids(const std::string& comm) {
  std::vector<int> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream children(task.path() / "children");
    int pid = 0;
    while (children >> pid) {
      std::ifstream name("/proc/" + std::to_string(pid) + "/comm");
      std::string n;
      std::getline(name, n);
      if (n == comm) out.push_back(pid);
    }
  }
  return out;
}

bool wait_until_reaped(int pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    // A zombie still answers kill(pid, 0); only a reaped process is gone (ESRCH).
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace xz::test
