#pragma once
// A blocking TCP client for hostile-client tests: sends exactly the bytes given (half a
// header, an endless body), reads with a deadline, and tells whether the server closed.
// Plain POSIX sockets, no event loop: thousands of them can be held open by one thread.
#include <chrono>
#include <string>
#include <string_view>

namespace xz::test {

class RawConnection {
 public:
  // Connects to address:port; throws std::runtime_error when the connect fails.
  explicit RawConnection(unsigned short port, const std::string& address = "127.0.0.1");
  ~RawConnection();
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&&) = delete;
  RawConnection(const RawConnection&) = delete;

  // All of `bytes`; false when the peer closed or reset the connection.
  bool send(std::string_view bytes);

  struct Read {
    std::string data;
    bool closed = false;  // EOF or reset seen
  };
  // Reads until the peer closes, `until` appears in what was read, or `timeout` passes.
  Read read_for(std::chrono::milliseconds timeout, std::string_view until = {});
  // What one read returns (at most 64 KiB), waiting up to `timeout` for it.
  Read read_some(std::chrono::milliseconds timeout);
  // The status of the HTTP response at the start of `data` (0 when there is none).
  static int status_of(const std::string& data);
  void close();
  bool is_open() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace xz::test
