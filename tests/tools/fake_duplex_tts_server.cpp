// fake_duplex_tts_server: the test tree's fake dual-stream TTS vendor
// (tests/support/fake_duplex_tts, Volcengine's bidirectional protocol by default) as a
// standalone process with fixed latencies, for `make bench`'s dual-stream scenario.
// Prints its WebSocket URL and runs until SIGINT/SIGTERM.

#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "support/fake_duplex_tts.h"

namespace {

const char* kUsage = R"(Usage: fake_duplex_tts_server [options]

A local fake of a dual-stream TTS vendor with fixed latencies (for benchmarks).

  --vendor NAME          huoshan (default), aliyun, alibl, xunfei
  --speak-every-chars N  also start speaking after N characters without punctuation (default 16; 0 = only at punctuation)
  --first-audio-ms N     from a cut to its first audio frame (default 0)
  --chunk-ms N           audio per frame (default 100)
  --interval-ms N        between a cut's frames (default 25, i.e. 4x real time)
  --ms-per-char N        audio per character (default 80)
  --url-file PATH        also write the URL to PATH
)";

std::optional<int> to_int(const std::string& s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  int speak_every = 16, first_audio = 0, chunk = 100, interval = 25, per_char = 80;
  std::string vendor = "huoshan", url_file;
  std::map<std::string, int*> ints = {{"--speak-every-chars", &speak_every}, {"--first-audio-ms", &first_audio},
                                      {"--chunk-ms", &chunk}, {"--interval-ms", &interval}, {"--ms-per-char", &per_char}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= argc) {
      std::cerr << "fake_duplex_tts_server: " << a << " needs a value (or is unknown)\n\n" << kUsage;
      return 2;
    }
    std::string v = argv[++i];
    if (auto it = ints.find(a); it != ints.end()) {
      auto n = to_int(v);
      if (!n) {
        std::cerr << "fake_duplex_tts_server: " << a << ": '" << v << "' is not a non-negative whole number\n";
        return 2;
      }
      *it->second = *n;
    } else if (a == "--vendor") {
      vendor = v;
    } else if (a == "--url-file") {
      url_file = v;
    } else {
      std::cerr << "fake_duplex_tts_server: unknown option " << a << "\n\n" << kUsage;
      return 2;
    }
  }
  static const std::map<std::string, xz::test::FakeDuplexVendor> kVendors = {
      {"huoshan", xz::test::FakeDuplexVendor::huoshan},
      {"aliyun", xz::test::FakeDuplexVendor::aliyun},
      {"alibl", xz::test::FakeDuplexVendor::alibl},
      {"xunfei", xz::test::FakeDuplexVendor::xunfei}};
  auto v = kVendors.find(vendor);
  if (v == kVendors.end() || chunk == 0) {
    std::cerr << "fake_duplex_tts_server: unknown vendor or zero --chunk-ms\n";
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  try {
    xz::test::FakeDuplexOptions o;
    o.speak_every_chars = static_cast<std::size_t>(speak_every);
    o.first_audio_delay = std::chrono::milliseconds(first_audio);
    o.chunk_ms = chunk;
    o.chunk_interval = std::chrono::milliseconds(interval);
    o.ms_per_char = per_char;
    xz::test::FakeDuplexTts fake(v->second, o);
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
    std::cerr << "fake_duplex_tts_server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
