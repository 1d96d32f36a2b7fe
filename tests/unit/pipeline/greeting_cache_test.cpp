// The wake-word reply cache (enable_wakeup_words_response_cache): the reference's
// behaviour — one current reply per voice, played from memory, replaced in the
// background by a random configured line once it is older than refresh_after — with the
// real flite voice and Opus, and the number of voices kept bounded.
#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/runtime.h"
#include "pipeline/greeting_cache.h"
#include "providers/tts/flite_tts.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using xz::pipeline::GreetingCache;
using xz::pipeline::WakeReplySettings;

namespace {

// flite, recording what it was asked (the voice is recorded, flite speaks its own), and
// optionally holding every synthesis until released.
class RecordingTts : public xz::providers::TtsEngine {
 public:
  RecordingTts(xz::providers::TtsEngine& inner, asio::any_io_executor ex) : inner_(inner), gate_(ex) {}
  asio::awaitable<void> synthesize(xz::providers::TtsRequest req, xz::providers::PcmSink sink) override {
    {
      std::lock_guard lk(mu);
      texts.push_back(req.text);
      voices.push_back(req.voice);
    }
    if (hold) {
      entered.set_value();
      co_await gate_.wait();
    }
    req.voice.clear();
    co_await inner_.synthesize(std::move(req), std::move(sink));
  }
  void release() { gate_.set(); }
  std::size_t calls() {
    std::lock_guard lk(mu);
    return texts.size();
  }

  std::mutex mu;
  std::vector<std::string> texts, voices;
  std::atomic<bool> hold = false;
  std::promise<void> entered;  // a held synthesis has started (once)

 private:
  xz::providers::TtsEngine& inner_;
  xz::core::Event gate_;
};

struct WakeFixture : ::testing::Test {
  xz::core::Runtime rt{1, 2};
  xz::providers::ProviderContext ctx{rt.pool()};
  xz::providers::FliteTts flite{xz::providers::EngineConfig::object(), ctx};
  RecordingTts tts{flite, rt.loop(0).get_executor()};

  WakeFixture() { rt.start(); }

  static WakeReplySettings settings() {
    WakeReplySettings s;
    s.first_reply = "I am here.";
    s.lines = {"Go ahead, I am listening."};
    s.refresh_after = 1h;
    s.max_voices = 4;
    return s;
  }
  template <class T>
  T run(asio::awaitable<T> a) {
    return asio::co_spawn(rt.loop(0), std::move(a), asio::use_future).get();
  }
};

}  // namespace

TEST_F(WakeFixture, FirstReplyUntilALineIsMadeThenTheLine) {
  GreetingCache cache(tts, rt.pool(), {}, settings());
  auto first = run(cache.wake_reply(""));
  EXPECT_EQ(first.speech->text, "I am here.");
  EXPECT_GT(first.speech->frames.size(), 5u) << "real Opus frames of the spoken reply";
  EXPECT_TRUE(first.refresh_due) << "no line made yet for this voice";

  run(cache.refresh_wake_reply(""));
  auto next = run(cache.wake_reply(""));
  EXPECT_EQ(next.speech->text, "Go ahead, I am listening.");
  EXPECT_GT(next.speech->frames.size(), first.speech->frames.size()) << "a longer sentence, longer audio";
  EXPECT_FALSE(next.refresh_due) << "fresh: younger than refresh_after";
  auto again = run(cache.wake_reply(""));
  EXPECT_EQ(again.speech, next.speech) << "played from memory";
  EXPECT_EQ(tts.calls(), 2u) << "the first reply and one line: nothing synthesized per wake word";
}

TEST_F(WakeFixture, AReplyOlderThanRefreshAfterIsDueAndReplacedByARandomLine) {
  auto s = settings();
  s.refresh_after = 0ms;
  s.lines = {"Line one.", "Line two.", "Line three."};
  GreetingCache cache(tts, rt.pool(), {}, s);
  std::set<std::string> seen;
  for (int i = 0; i < 12; ++i) {
    run(cache.refresh_wake_reply(""));
    auto r = run(cache.wake_reply(""));
    EXPECT_TRUE(r.refresh_due);
    EXPECT_TRUE(std::find(s.lines.begin(), s.lines.end(), r.speech->text) != s.lines.end()) << r.speech->text;
    seen.insert(r.speech->text);
  }
  EXPECT_GE(seen.size(), 2u) << "lines are picked at random (12 picks of 3 all the same: p < 1e-5)";
}

TEST_F(WakeFixture, EachVoiceHasItsOwnReplyAndOnlyMaxVoicesAreKept) {
  auto s = settings();
  s.max_voices = 2;
  GreetingCache cache(tts, rt.pool(), {}, s);
  for (const char* v : {"alice", "bob", "carol"}) run(cache.refresh_wake_reply(v));
  EXPECT_EQ(cache.wake_voices(), 2u);
  EXPECT_EQ(tts.voices, (std::vector<std::string>{"alice", "bob", "carol"})) << "synthesized with the voice";
  EXPECT_FALSE(run(cache.wake_reply("carol")).refresh_due);
  auto alice = run(cache.wake_reply("alice"));
  EXPECT_EQ(alice.speech->text, "I am here.") << "the least recently used voice was dropped";
  EXPECT_TRUE(alice.refresh_due);
}

TEST_F(WakeFixture, OneRefreshPerVoiceAtATime) {
  GreetingCache cache(tts, rt.pool(), {}, settings());
  tts.hold = true;
  auto first = asio::co_spawn(rt.loop(0), cache.refresh_wake_reply(""), asio::use_future);
  // The second starts while the first waits in the TTS: it does nothing.
  tts.entered.get_future().wait();
  run(cache.refresh_wake_reply(""));
  EXPECT_EQ(tts.calls(), 1u);
  asio::co_spawn(rt.loop(0), [&]() -> asio::awaitable<void> {
    tts.release();
    co_return;
  }, asio::use_future).get();
  first.get();
  EXPECT_EQ(run(cache.wake_reply("")).speech->text, "Go ahead, I am listening.");
  // Another may run now that the first is done.
  tts.hold = false;
  run(cache.refresh_wake_reply(""));
  EXPECT_EQ(tts.calls(), 2u);
}

TEST_F(WakeFixture, WithoutLinesTheFirstReplyStays) {
  auto s = settings();
  s.lines.clear();
  GreetingCache cache(tts, rt.pool(), {}, s);
  auto r = run(cache.wake_reply(""));
  EXPECT_EQ(r.speech->text, "I am here.");
  EXPECT_FALSE(r.refresh_due);
  run(cache.refresh_wake_reply(""));
  EXPECT_EQ(cache.wake_voices(), 0u);
  EXPECT_EQ(tts.calls(), 1u);
}
