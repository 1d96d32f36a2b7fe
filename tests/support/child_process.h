#pragma once
// Runs a program (the real xiaozhi-server binary) as a child process for tests:
// its stderr is read line by line so a test can wait for "ready" instead of sleeping.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xz::test {

class ChildProcess {
 public:
  // `env` is set over this process's environment for the child.
  ChildProcess(std::string program, std::vector<std::string> args, std::string cwd = {},
               std::map<std::string, std::string> env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads stderr until a line contains `needle`; false on timeout or exit.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout);
  void signal(int sig);
  // Exit status (or 128 + signal), std::nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  const std::string& output() const { return output_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  std::string output_;
  std::optional<int> status_;
};

// A TCP port that was free a moment ago on 127.0.0.1.
unsigned short free_port();

// Minimal blocking HTTP/1.1 client for tests.
struct HttpResult {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(const std::string& name) const;
};
HttpResult http_request(unsigned short port, const std::string& method, const std::string& target,
                        const std::string& body = {},
                        const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace xz::test
