#include "support/raw_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace xz::test {

RawConnection::RawConnection(unsigned short port, const std::string& address) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  if (address.find(':') != std::string::npos) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
    a6->sin6_family = family = AF_INET6;
    a6->sin6_port = htons(port);
    if (::inet_pton(AF_INET6, address.c_str(), &a6->sin6_addr) != 1) throw std::runtime_error("bad address " + address);
    len = sizeof(sockaddr_in6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    if (::inet_pton(AF_INET, address.c_str(), &a4->sin_addr) != 1) throw std::runtime_error("bad address " + address);
    len = sizeof(sockaddr_in);
  }
  fd_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("connect to " + address + ":" + std::to_string(port) + ": " + std::strerror(e));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawConnection::~RawConnection() { close(); }

RawConnection::RawConnection(RawConnection&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

void RawConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

RawConnection::Read RawConnection::read_for(std::chrono::milliseconds timeout, std::string_view until) {
  Read r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[16384];
  for (;;) {
    if (!until.empty() && r.data.find(until) != std::string::npos) return r;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return r;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return r;
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      r.closed = true;
      return r;
    }
    r.data.append(buf, static_cast<std::size_t>(n));
  }
}

RawConnection::Read RawConnection::read_some(std::chrono::milliseconds timeout) {
  Read r;
  pollfd p{fd_, POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return r;
  r.data.resize(64 * 1024);
  ssize_t n;
  do {
    n = ::recv(fd_, r.data.data(), r.data.size(), 0);
  } while (n < 0 && errno == EINTR);
  r.data.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  r.closed = n <= 0;
  return r;
}

int RawConnection::status_of(const std::string& data) {
  if (data.rfind("HTTP/1.", 0) != 0 || data.size() < 12) return 0;
  return std::atoi(data.substr(9, 3).c_str());
}

}  // namespace xz::test
