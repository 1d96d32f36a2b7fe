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

#include "audio/opus_encoder.h"

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

namespace {

std::uint32_t ogg_crc(const std::string& bytes) {
  std::uint32_t crc = 0;
  for (unsigned char c : bytes) {
    crc ^= static_cast<std::uint32_t>(c) << 24;
    for (int k = 0; k < 8; ++k) crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04c11db7u : crc << 1;
  }
  return crc;
}

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string ogg_page(const std::vector<std::string>& packets, std::uint8_t flags, std::uint64_t granule,
                     std::uint32_t seq) {
  std::string lacing, body;
  for (const auto& p : packets) {
    std::size_t n = p.size();
    while (n >= 255) {
      lacing.push_back(static_cast<char>(255));
      n -= 255;
    }
    lacing.push_back(static_cast<char>(n));
    body += p;
  }
  if (lacing.size() > 255) throw std::logic_error("too many segments for one Ogg page");
  std::string page = "OggS";
  page.push_back(0);
  page.push_back(static_cast<char>(flags));
  put_le(page, granule, 8);
  put_le(page, 0x1234abcd, 4);  // stream serial
  put_le(page, seq, 4);
  put_le(page, 0, 4);  // CRC, filled below
  page.push_back(static_cast<char>(lacing.size()));
  page += lacing + body;
  std::uint32_t crc = ogg_crc(page);
  for (int i = 0; i < 4; ++i) page[22 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  return page;
}

}  // namespace

std::string make_ogg_opus(const std::vector<std::int16_t>& pcm48k) {
  constexpr int kPreSkip = 312;
  audio::OpusEncoder enc(48000, 20, 5, 64000);
  std::string head = "OpusHead";
  head.push_back(1);  // version
  head.push_back(1);  // channels
  put_le(head, kPreSkip, 2);
  put_le(head, 48000, 4);
  put_le(head, 0, 2);  // output gain
  head.push_back(0);   // mapping family
  std::string tags = "OpusTags";
  put_le(tags, 8, 4);
  tags += "xz-tests";
  put_le(tags, 0, 4);

  std::uint32_t seq = 0;
  std::string file = ogg_page({head}, 2, 0, seq++);
  file += ogg_page({tags}, 0, 0, seq++);
  const std::size_t frame = static_cast<std::size_t>(enc.frame_samples());
  // The encoder's look-ahead (pre-skip) has to be flushed out with trailing silence.
  std::vector<std::int16_t> padded = pcm48k;
  padded.resize(((pcm48k.size() + kPreSkip) / frame + 1) * frame, 0);
  std::vector<std::string> packets;
  std::uint64_t granule = 0;  // 48 kHz samples decoded so far, pre-skip included
  const std::uint64_t end = kPreSkip + pcm48k.size();
  for (std::size_t at = 0; at < padded.size(); at += frame) {
    packets.push_back(enc.encode(std::span<const std::int16_t>(padded.data() + at, frame)));
    granule += frame;
    const bool last = at + frame >= padded.size();
    if (packets.size() == 25 || last) {
      file += ogg_page(packets, last ? 4 : 0, last ? end : granule, seq++);
      packets.clear();
    }
  }
  return file;
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
