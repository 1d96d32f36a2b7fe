// fake_openai_server: the test tree's fake OpenAI API (tests/support/fake_openai) as a
// standalone process with fixed, configured latencies, for `make bench`: streamed chat
// completions with a set first-token delay and token rate, /audio/speech answering a
// fixed flite voice in timed chunks, /audio/transcriptions answering a fixed text.
// Prints its base URL ("http://127.0.0.1:PORT/v1") and runs until SIGINT/SIGTERM.

#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/fake_openai.h"
#include "support/speech.h"

namespace {

struct Options {
  int first_token_ms = 200;
  int token_ms = 50;
  std::string reply = "Sure, here is the weather. It is sunny and warm today, with a light breeze.";
  std::string transcript = "what is the weather like today";
  std::string speech_text = "Here is the answer.";
  int tts_chunk_ms = 100;
  int tts_interval_ms = 25;
  std::string url_file;
};

const char* kUsage = R"(Usage: fake_openai_server [options]

A local fake of the OpenAI HTTP API with fixed latencies (for benchmarks).

  --first-token-ms N     chat: delay before the first content token (default 200)
  --token-ms N           chat: interval between tokens (default 50, i.e. 20 tokens/s)
  --reply TEXT           chat: the answer, streamed one word per token
  --transcript TEXT      /audio/transcriptions answer
  --speech TEXT          /audio/speech: every request gets flite's voice of TEXT (24 kHz)
  --tts-chunk-ms N       /audio/speech: audio per body chunk (default 100)
  --tts-interval-ms N    /audio/speech: time between chunks (default 25; the first is immediate)
  --url-file PATH        also write the base URL to PATH
)";

std::optional<int> to_int(const std::string& s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

std::optional<std::string> parse(int argc, char** argv, Options& o) {
  std::map<std::string, int*> ints = {{"--first-token-ms", &o.first_token_ms}, {"--token-ms", &o.token_ms},
                                      {"--tts-chunk-ms", &o.tts_chunk_ms}, {"--tts-interval-ms", &o.tts_interval_ms}};
  std::map<std::string, std::string*> texts = {{"--reply", &o.reply}, {"--transcript", &o.transcript},
                                               {"--speech", &o.speech_text}, {"--url-file", &o.url_file}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (i + 1 >= argc) return a + " needs a value (or is unknown)";
    std::string v = argv[++i];
    if (auto it = ints.find(a); it != ints.end()) {
      auto n = to_int(v);
      if (!n) return a + ": '" + v + "' is not a non-negative whole number";
      *it->second = *n;
    } else if (auto t = texts.find(a); t != texts.end()) {
      *t->second = v;
    } else {
      return "unknown option " + a;
    }
  }
  if (o.tts_chunk_ms == 0) return "--tts-chunk-ms must be at least 1";
  if (o.reply.find_first_not_of(' ') == std::string::npos) return "--reply is empty";
  return std::nullopt;
}

// One token per word, each keeping its trailing space ("Sure, " then "here "): a
// sentence mark is then final as soon as its token arrives, so the time to the first
// speakable segment is exactly the first-token delay.
std::vector<std::string> word_tokens(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c != ' ' && !cur.empty() && cur.back() == ' ') {
      out.push_back(std::move(cur));
      cur.clear();
    }
    cur.push_back(c);
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// 16 kHz -> 24 kHz by linear interpolation, as the fake does for its default voice.
std::vector<std::int16_t> to_24k(const std::vector<std::int16_t>& in) {
  std::vector<std::int16_t> out;
  if (in.empty()) return out;
  const std::size_t n = in.size() * 3 / 2;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double src = static_cast<double>(i) * 2.0 / 3.0;
    const auto a = static_cast<std::size_t>(src);
    const std::size_t b = std::min(a + 1, in.size() - 1);
    const double f = src - static_cast<double>(a);
    out.push_back(static_cast<std::int16_t>(in[a] * (1.0 - f) + in[b] * f));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (auto err = parse(argc, argv, o)) {
    std::cerr << "fake_openai_server: " << *err << "\n\n" << kUsage;
    return 2;
  }
  // Signals are collected by this thread only (the fake's own thread must not get them).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  try {
    xz::test::FakeOpenAi fake;
    xz::test::FakeReply reply;
    reply.tokens = word_tokens(o.reply);
    reply.first_token_delay = std::chrono::milliseconds(o.first_token_ms);
    reply.token_interval = std::chrono::milliseconds(o.token_ms);
    fake.set_default_reply([reply](const nlohmann::json&) { return reply; });
    fake.set_transcript(o.transcript);
    fake.set_speech(to_24k(xz::test::flite_speech(o.speech_text)));
    fake.set_speech_chunking(static_cast<std::size_t>(o.tts_chunk_ms) * 48,  // 24 kHz, 2 bytes a sample
                             std::chrono::milliseconds(o.tts_interval_ms));

    const std::string url = fake.url();
    if (!o.url_file.empty()) {
      std::ofstream f(o.url_file);
      f << url << "\n";
      if (!f) throw std::runtime_error("cannot write " + o.url_file);
    }
    std::cout << url << std::endl;
    int sig = 0;
    while (sig <= 0) sig = sigwaitinfo(&set, nullptr);
  } catch (const std::exception& e) {
    std::cerr << "fake_openai_server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
