#include "store/auth_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace xz::store {

namespace {

namespace fs = std::filesystem;

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::optional<std::string> read_key(const fs::path& p) {
  std::error_code ec;
  if (!fs::exists(p, ec)) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string() + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string key = trim(ss.str());
  if (key.empty()) return std::nullopt;
  return key;
}

std::string random_hex_key() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("no randomness available for the auth key");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

[[noreturn]] void fail(const std::string& what, const fs::path& p) {
  throw std::runtime_error(what + " " + p.string() + ": " + std::strerror(errno));
}

// Written to a private temporary file, then linked into place: link() fails if
// another process got there first, so both end up with the same key.
void publish_key(const fs::path& target, const std::string& key) {
  fs::path tmp = target;
  tmp += ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("cannot create", tmp);
  std::string text = key + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    errno = saved;
    fail("cannot write", tmp);
  }
  int rc = ::link(tmp.c_str(), target.c_str());
  saved = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && saved != EEXIST) {
    errno = saved;
    fail("cannot create", target);
  }
}

}  // namespace

std::string load_or_create_auth_key(const std::string& data_dir, const std::string& configured) {
  std::string key = trim(configured);
  if (!key.empty() && key.find("你") == std::string::npos) return key;

  fs::path dir = data_dir.empty() ? fs::path(".") : fs::path(data_dir);
  fs::path file = dir / ".auth_key";
  if (auto existing = read_key(file)) return *existing;

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create directory " + dir.string() + ": " + ec.message());
  publish_key(file, random_hex_key());
  if (auto stored = read_key(file)) return *stored;
  throw std::runtime_error(file.string() + " is empty right after it was written");
}

}  // namespace xz::store
