// What an unbound device is told: its code shown (stt, subtitle) and spoken so that a
// listener hears six separate digits, never "four hundred and eight thousand...". The
// real flite voice, Opus both ways, and pocketsphinx as the listener.
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "audio/opus_decoder.h"
#include "core/metrics.h"
#include "core/runtime.h"
#include "pipeline/activation_conversation.h"
#include "providers/asr/pocketsphinx_asr.h"
#include "providers/tts/flite_tts.h"
#include "support/send_only_link.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using nlohmann::json;

namespace {

class RecordingLink : public xz::test::SendOnlyLink {
 public:
  bool send_text(std::string text) override {
    std::lock_guard lk(mu);
    texts.push_back(json::parse(text));
    return true;
  }
  bool send_audio(std::string_view opus, std::uint32_t) override {
    std::lock_guard lk(mu);
    frames.emplace_back(opus);
    return true;
  }

  std::mutex mu;
  std::vector<json> texts;
  std::vector<std::string> frames;
};

class Hooks : public xz::session::SessionHooks {
 public:
  void note_activity() override {}
  void close_session(std::string reason) override { closed.set_value(std::move(reason)); }
  void set_state(std::string) override {}
  std::promise<std::string> closed;
};

// Counts syntheses: the prompt's pieces are made once and shared.
class CountingTts : public xz::providers::TtsEngine {
 public:
  explicit CountingTts(xz::providers::TtsEngine& inner) : inner_(inner) {}
  asio::awaitable<void> synthesize(xz::providers::TtsRequest req, xz::providers::PcmSink sink) override {
    ++calls;
    co_await inner_.synthesize(std::move(req), std::move(sink));
  }
  std::atomic<int> calls{0};

 private:
  xz::providers::TtsEngine& inner_;
};

struct Told {
  std::vector<json> texts;
  std::vector<std::string> frames;
  std::string close_reason;
};

struct Fixture {
  Fixture() : rt(1, 2), ctx{rt.pool()}, flite(xz::providers::EngineConfig::object(), ctx), tts(flite),
              cache(tts, rt.pool(), settings.downlink), metrics(registry) {
    rt.start();
  }
  Told tell(const std::string& code, const std::string& message) {
    RecordingLink link;
    Hooks hooks;
    auto closed = hooks.closed.get_future();
    xz::session::DeviceIdentity who;
    const std::string session_id = "s1";
    xz::core::SessionLog log;
    xz::session::ConversationContext c{rt.loop(0).get_executor(), link, hooks, who, session_id, log};
    xz::pipeline::ActivationVoice voice{settings, cache, tts, rt.pool(), metrics};
    auto conv = std::make_unique<xz::pipeline::ActivationConversation>(c, voice, xz::session::ActivationPrompt{code, message});
    asio::co_spawn(rt.loop(0), [&]() -> asio::awaitable<void> {
      conv->on_hello({});
      conv->on_listen({});  // ignored
      co_return;
    }, asio::use_future).get();
    Told out;
    if (closed.wait_for(30s) == std::future_status::ready) out.close_reason = closed.get();
    asio::co_spawn(rt.loop(0), conv->stop(), asio::use_future).get();
    std::lock_guard lk(link.mu);
    out.texts = link.texts;
    out.frames = link.frames;
    return out;
  }

  xz::core::Runtime rt;
  xz::providers::ProviderContext ctx;
  xz::providers::FliteTts flite;
  CountingTts tts;
  xz::pipeline::ConversationSettings settings;
  xz::pipeline::GreetingCache cache;
  xz::core::Metrics registry;
  xz::pipeline::VoiceMetrics metrics;
};

// A listener that knows only number words and the message: a unigram language model the
// test writes. It hears digits when digits are spoken, and "hundred", "thousand",
// "eighty"... when a code is read as one number.
std::string number_words_lm() {
  const std::vector<std::string> words = {
      "zero",   "oh",      "one",     "two",      "three",    "four",     "five",    "six",     "seven",
      "eight",  "nine",    "ten",     "eleven",   "twelve",   "thirteen", "fourteen", "fifteen", "sixteen",
      "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty",   "fifty",   "sixty",   "seventy",
      "eighty", "ninety",  "hundred", "thousand", "and",      "enter",    "this",    "code"};
  auto path = std::filesystem::temp_directory_path() / ("xz_numbers_" + std::to_string(::getpid()) + ".lm");
  std::ofstream out(path);
  const double p = -std::log10(static_cast<double>(words.size()));
  out << "\\data\\\nngram 1=" << words.size() + 2 << "\n\n\\1-grams:\n";
  out << "-99 <s>\n" << p << " </s>\n";
  for (const auto& w : words) out << p << " " << w << "\n";
  out << "\n\\end\\\n";
  return path.string();
}

std::string transcribe(xz::core::Runtime& rt, const std::vector<std::string>& frames) {
  xz::audio::OpusDecoder decoder(16000, 1);
  std::vector<std::int16_t> pcm;
  for (const auto& f : frames) {
    auto d = decoder.decode(f);
    if (d) pcm.insert(pcm.end(), d->begin(), d->end());
  }
  xz::providers::ProviderContext ctx{rt.pool()};
  xz::providers::PocketsphinxAsr asr({{"lm", number_words_lm()}}, ctx);
  return asio::co_spawn(rt.loop(0), [&]() -> asio::awaitable<std::string> {
    auto s = co_await asr.open();
    for (std::size_t at = 0; at < pcm.size(); at += 960) {
      const std::size_t end = std::min(at + 960, pcm.size());
      co_await s->push(std::vector<std::int16_t>(pcm.begin() + static_cast<std::ptrdiff_t>(at),
                                                 pcm.begin() + static_cast<std::ptrdiff_t>(end)));
    }
    co_return (co_await s->finish()).text;
  }, asio::use_future).get();
}

}  // namespace

TEST(ActivationConversation, ShowsTheCodeSpeaksItDigitByDigitThenCloses) {
  Fixture f;
  auto told = f.tell("386142", "Enter this code");
  EXPECT_FALSE(told.close_reason.empty()) << "the session is closed after the prompt";

  std::vector<std::string> kinds;
  for (const auto& t : told.texts) kinds.push_back(t.value("type", "") + ":" + t.value("state", ""));
  const std::vector<std::string> expected = {"stt:", "tts:start", "tts:sentence_start", "tts:stop"};
  EXPECT_EQ(kinds, expected);
  ASSERT_GE(told.texts.size(), 3u);
  EXPECT_EQ(told.texts[0].value("text", ""), "Enter this code 386142");
  EXPECT_EQ(told.texts[2].value("text", ""), "Enter this code 386142");

  const std::string heard = transcribe(f.rt, told.frames);
  std::printf("pocketsphinx heard: \"%s\" (%zu frames)\n", heard.c_str(), told.frames.size());
  for (const char* whole : {"hundred", "thousand"})
    EXPECT_EQ((" " + heard + " ").find(std::string(" ") + whole + " "), std::string::npos)
        << "the code was read as one number: " << heard;
  // Each digit on its own, in order.
  int found = 0;
  std::size_t at = 0;
  for (const char* digit : {"three", "eight", "six", "one", "four", "two"}) {
    auto p = (" " + heard + " ").find(std::string(" ") + digit + " ", at);
    if (p != std::string::npos) {
      ++found;
      at = p + 1;
    }
  }
  EXPECT_GE(found, 5) << "digits heard in order: " << heard;
}

TEST(ActivationConversation, EveryDeviceAfterTheFirstCostsNoSynthesis) {
  Fixture f;
  f.tell("123456", "Enter this code");
  const int first = f.tts.calls.load();
  EXPECT_EQ(first, 7) << "the message and six distinct digits";
  auto again = f.tell("654321", "Enter this code");
  EXPECT_FALSE(again.frames.empty());
  EXPECT_EQ(f.tts.calls.load(), first) << "the same pieces, from the cache";
}
