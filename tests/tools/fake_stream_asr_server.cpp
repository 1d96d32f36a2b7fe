// fake_stream_asr_server: the test tree's fake streaming ASR vendor
// (tests/support/fake_stream_asr, Volcengine's sauc v3 protocol by default) as a
// standalone process with a fixed finalisation delay, for `make bench`'s stream-asr
// scenario. Prints its WebSocket URL and runs until SIGINT/SIGTERM.

#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "support/fake_stream_asr.h"

namespace {

const char* kUsage = R"(Usage: fake_stream_asr_server [options]

A local fake of a streaming ASR vendor with a fixed finalisation delay (for benchmarks).

  --vendor NAME              doubao (default; sauc v3), xunfei, alibl, aliyun
  --finalize-ms N            from the client's end of audio to the final result (default 100)
  --packets-per-partial N    a partial result (one more word) after every N audio packets (default 3)
  --script "W1 W2 ..."       the words of the result, space-separated (default "你好 世界")
  --url-file PATH            also write the URL to PATH
)";

std::optional<int> to_int(const std::string& s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  int finalize_ms = 100, per_partial = 3;
  std::string vendor = "doubao", url_file, script = "你好 世界";
  std::map<std::string, int*> ints = {{"--finalize-ms", &finalize_ms}, {"--packets-per-partial", &per_partial}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= argc) {
      std::cerr << "fake_stream_asr_server: " << a << " needs a value (or is unknown)\n\n" << kUsage;
      return 2;
    }
    std::string v = argv[++i];
    if (auto it = ints.find(a); it != ints.end()) {
      auto n = to_int(v);
      if (!n) {
        std::cerr << "fake_stream_asr_server: " << a << ": '" << v << "' is not a non-negative whole number\n";
        return 2;
      }
      *it->second = *n;
    } else if (a == "--vendor") {
      vendor = v;
    } else if (a == "--script") {
      script = v;
    } else if (a == "--url-file") {
      url_file = v;
    } else {
      std::cerr << "fake_stream_asr_server: unknown option " << a << "\n\n" << kUsage;
      return 2;
    }
  }
  static const std::map<std::string, xz::test::FakeAsrVendor> kVendors = {
      {"doubao", xz::test::FakeAsrVendor::doubao},
      {"xunfei", xz::test::FakeAsrVendor::xunfei},
      {"alibl", xz::test::FakeAsrVendor::alibl},
      {"aliyun", xz::test::FakeAsrVendor::aliyun}};
  auto found = kVendors.find(vendor);
  if (found == kVendors.end() || per_partial == 0) {
    std::cerr << "fake_stream_asr_server: unknown vendor or zero --packets-per-partial\n";
    return 2;
  }
  xz::test::FakeStreamAsrOptions o;
  o.finalize_delay = std::chrono::milliseconds(finalize_ms);
  o.packets_per_partial = per_partial;
  o.script.clear();
  std::istringstream words(script);
  for (std::string w; words >> w;) o.script.push_back(w);
  if (o.script.empty()) {
    std::cerr << "fake_stream_asr_server: --script is empty\n";
    return 2;
  }
  // Signals are collected by this thread only (the fake's own thread must not get them).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  try {
    xz::test::FakeStreamAsr fake(found->second, o);
    const std::string url = fake.url();
    if (!url_file.empty()) {
      std::ofstream f(url_file);
      f << url << "\n";
      if (!f) throw std::runtime_error("cannot write " + url_file);
    }
    std::cout << url << std::endl;
    int sig = 0;
    while (sig <= 0) sig = sigwaitinfo(&set, nullptr);
  } catch (const std::exception& e) {
    std::cerr << "fake_stream_asr_server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
