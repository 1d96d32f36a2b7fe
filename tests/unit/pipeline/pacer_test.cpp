#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "pipeline/pacer.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using xz::core::Clock;
using xz::core::Task;
using xz::pipeline::Pacer;

namespace {

constexpr auto kFrame = 60ms;
// Frames are never early. A single late wake-up (the OS, under a loaded CI machine) is
// tolerated up to less than a frame, so a skipped or doubled slot still fails; the
// median lateness must stay small.
constexpr auto kJitter = 45ms;
constexpr auto kMedianJitter = 10ms;
// "At once": far below a frame duration, with room for preemption under load.
constexpr auto kAtOnce = 15ms;

struct Sent {
  Clock::time_point at;
  std::string what;  // "F:<frame>" or "T:<text>"
};

// A pacer on `io` whose callbacks record what was sent and when.
struct Harness {
  explicit Harness(asio::io_context& io, Pacer::Options opts = {})
      : pacer(io.get_executor(), opts, [this](std::string f) { on_send("F:" + f); },
              [this](std::string t) { on_send("T:" + t); }) {}

  void on_send(std::string what) {
    log.push_back({Clock::now(), std::move(what)});
    if (after_send) after_send();
  }
  std::vector<Clock::time_point> frame_times() const {
    std::vector<Clock::time_point> t;
    for (const auto& s : log) {
      if (s.what.starts_with("F:")) t.push_back(s.at);
    }
    return t;
  }
  void push_frames(int n, const std::string& prefix = "f") {
    for (int k = 0; k < n; ++k) ASSERT_TRUE(pacer.push_frame(prefix + std::to_string(k)));
  }

  std::vector<Sent> log;
  std::function<void()> after_send;
  Pacer pacer;
};

// Runs the scenario coroutine on `io` until it finishes (it must stop the pacer so
// the loop runs out of work); rethrows its exception.
void run_scenario(asio::io_context& io, Task<void> scenario) {
  bool done = false;
  asio::co_spawn(io, std::move(scenario), [&](std::exception_ptr e) {
    done = true;
    if (e) std::rethrow_exception(e);
  });
  io.run_for(5s);
  ASSERT_TRUE(done) << "scenario did not finish";
}

Task<void> sleep_until(Clock::time_point t) { co_await xz::core::sleep_for(t - Clock::now()); }

long long ms(Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

// The device's lead after each frame, from the send times alone: it plays one frame
// per frame duration and cannot play before a frame arrives.
std::vector<Clock::duration> device_leads(const std::vector<Clock::time_point>& sends) {
  std::vector<Clock::duration> leads;
  Clock::time_point end{};
  for (auto t : sends) {
    end = std::max(end, t) + kFrame;
    leads.push_back(end - t);
  }
  return leads;
}

}  // namespace

TEST(Pacer, SendsThePrebufferAtOnceThenOneFramePerDuration) {
  asio::io_context io;
  Harness h(io);
  h.push_frames(12);
  run_scenario(io, [&]() -> Task<void> {
    co_await h.pacer.drained();
    h.pacer.stop();
  }());
  const auto t = h.frame_times();
  ASSERT_EQ(t.size(), 12u);
  for (std::size_t k = 1; k < 5; ++k) EXPECT_LT(t[k] - t[0], kAtOnce) << "prebuffer frame " << k;
  std::vector<Clock::duration> late;
  for (std::size_t k = 5; k < t.size(); ++k) {
    const auto due = t[0] + (static_cast<int>(k) - 4) * kFrame;
    EXPECT_GE(t[k], due - 1ms) << "frame " << k << " early by " << ms(due - t[k]) << " ms";
    EXPECT_LT(t[k], due + kJitter) << "frame " << k << " late by " << ms(t[k] - due) << " ms";
    late.push_back(t[k] - due);
  }
  std::sort(late.begin(), late.end());
  EXPECT_LT(late[late.size() / 2], kMedianJitter) << "median lateness " << ms(late[late.size() / 2]) << " ms";
  for (auto lead : device_leads(t)) EXPECT_LE(lead, 5 * kFrame + 1ms);
  EXPECT_EQ(h.pacer.lateness_samples().size(), 7u) << "one sample per frame that waited";
  for (auto late : h.pacer.lateness_samples()) EXPECT_GE(late.count(), 0);
  EXPECT_GE(h.pacer.playback_end(), t.back() + kFrame);
}

TEST(Pacer, TextMessagesKeepTheirPlaceAndCostNoTime) {
  asio::io_context io;
  Harness h(io);
  ASSERT_TRUE(h.pacer.push_text("A"));
  h.push_frames(2, "a");
  ASSERT_TRUE(h.pacer.push_text("B"));
  h.push_frames(5, "b");
  ASSERT_TRUE(h.pacer.push_text("C"));
  run_scenario(io, [&]() -> Task<void> {
    co_await h.pacer.drained();
    h.pacer.stop();
  }());
  std::vector<std::string> order;
  for (const auto& s : h.log) order.push_back(s.what);
  EXPECT_EQ(order, (std::vector<std::string>{"T:A", "F:a0", "F:a1", "T:B", "F:b0", "F:b1", "F:b2", "F:b3",
                                             "F:b4", "T:C"}));
  ASSERT_EQ(h.log.size(), 10u);
  // b3 and b4 wait for the clock; C goes right after b4, not a frame later.
  EXPECT_GE(h.log[8].at - h.log[1].at, 2 * kFrame - 1ms);
  EXPECT_LT(h.log[9].at - h.log[8].at, kAtOnce);
}

TEST(Pacer, RefillAfterAFullUnderflowSendsThePrebufferAtOnce) {
  asio::io_context io;
  Harness h(io);
  h.push_frames(6, "a");
  Clock::time_point refill_at;
  run_scenario(io, [&]() -> Task<void> {
    co_await h.pacer.drained();
    // TTS stalls: the device plays everything and runs dry.
    co_await sleep_until(h.pacer.playback_end() + 50ms);
    refill_at = Clock::now();
    h.push_frames(8, "b");
    co_await h.pacer.drained();
    h.pacer.stop();
  }());
  const auto t = h.frame_times();
  ASSERT_EQ(t.size(), 14u);
  std::size_t burst = 0;
  for (std::size_t k = 6; k < t.size(); ++k) {
    if (t[k] - refill_at < kAtOnce) ++burst;
  }
  EXPECT_EQ(burst, 5u) << "the lead is rebuilt at once, and no further";
  for (std::size_t k = 11; k < t.size(); ++k) {
    const auto due = t[6] + (static_cast<int>(k) - 10) * kFrame;
    EXPECT_GE(t[k], due - 1ms);
    EXPECT_LT(t[k], due + kJitter);
  }
  for (auto lead : device_leads(t)) EXPECT_LE(lead, 5 * kFrame + 1ms);
}

TEST(Pacer, RefillAfterAPartialUnderflowTopsUpToThePrebufferOnly) {
  asio::io_context io;
  Harness h(io);
  h.push_frames(6, "a");
  Clock::duration lead_at_refill{};
  Clock::time_point refill_at;
  run_scenario(io, [&]() -> Task<void> {
    co_await h.pacer.drained();
    // TTS was slow: 1.5 frames are left at the device when audio comes again.
    co_await sleep_until(h.pacer.playback_end() - 90ms);
    refill_at = Clock::now();
    lead_at_refill = h.pacer.playback_end() - refill_at;
    h.push_frames(8, "b");
    co_await h.pacer.drained();
    h.pacer.stop();
  }());
  const auto t = h.frame_times();
  ASSERT_EQ(t.size(), 14u);
  ASSERT_GT(lead_at_refill, 0ms);
  // Frames that fit while the lead stays within 5 frames go at once.
  std::size_t expected_burst = 0;
  for (auto lead = lead_at_refill; lead + kFrame <= 5 * kFrame; lead += kFrame) ++expected_burst;
  std::size_t burst = 0;
  for (std::size_t k = 6; k < t.size(); ++k) {
    if (t[k] - refill_at < kAtOnce) ++burst;
  }
  EXPECT_EQ(burst, expected_burst) << "lead at refill " << ms(lead_at_refill) << " ms";
  for (auto lead : device_leads(t)) EXPECT_LE(lead, 5 * kFrame + 1ms);
}

TEST(Pacer, ClearDropsEverythingQueuedMidStream) {
  asio::io_context io;
  Harness h(io);
  h.push_frames(20, "a");
  ASSERT_TRUE(h.pacer.push_text("late subtitle"));
  std::size_t sent_at_clear = 0;
  run_scenario(io, [&]() -> Task<void> {
    co_await xz::core::sleep_for(100ms);
    sent_at_clear = h.log.size();
    h.pacer.clear();
    EXPECT_EQ(h.pacer.queued_frames(), 0u);
    co_await h.pacer.drained();  // empty now: returns at once
    co_await xz::core::sleep_for(300ms);
    EXPECT_EQ(h.log.size(), sent_at_clear) << "a frame queued before clear() was sent after it";
    // The pacer keeps working for the next turn.
    h.push_frames(2, "b");
    co_await h.pacer.drained();
    h.pacer.stop();
  }());
  ASSERT_GE(sent_at_clear, 5u);
  ASSERT_LT(sent_at_clear, 20u);
  ASSERT_EQ(h.log.size(), sent_at_clear + 2);
  EXPECT_EQ(h.log[sent_at_clear].what, "F:b0");
  for (const auto& s : h.log) EXPECT_NE(s.what, "T:late subtitle");
}

TEST(Pacer, ClearFromInsideASendStopsTheBurst) {
  asio::io_context io;
  Harness h(io);
  h.push_frames(10);
  h.after_send = [&] {
    if (h.log.size() == 3) h.pacer.clear();
  };
  run_scenario(io, [&]() -> Task<void> {
    co_await h.pacer.drained();
    co_await xz::core::sleep_for(2 * kFrame);
    h.pacer.stop();
  }());
  EXPECT_EQ(h.log.size(), 3u);
}

TEST(Pacer, DrainedCompletesWhenTheLastFrameIsSent) {
  asio::io_context io;
  Harness h(io);
  h.push_frames(8);
  Clock::time_point drained_at;
  run_scenario(io, [&]() -> Task<void> {
    co_await h.pacer.drained();
    drained_at = Clock::now();
    h.pacer.stop();
  }());
  const auto t = h.frame_times();
  ASSERT_EQ(t.size(), 8u);
  EXPECT_GE(drained_at, t.back());
  EXPECT_LT(drained_at - t.back(), kAtOnce);
  EXPECT_GE(drained_at - t.front(), 3 * kFrame - 1ms);
}

TEST(Pacer, DrainedWaitIsCancellableAndEndsOnStop) {
  asio::io_context io;
  Harness h(io);
  h.push_frames(20);
  bool timed_out = false, stop_error = false;
  Clock::duration waited{};
  run_scenario(io, [&]() -> Task<void> {
    const auto start = Clock::now();
    timed_out = !(co_await xz::core::with_timeout(h.pacer.drained(), 50ms));
    waited = Clock::now() - start;
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, xz::core::sleep_for(30ms), [&](std::exception_ptr) { h.pacer.stop(); });
    try {
      co_await h.pacer.drained();
    } catch (const boost::system::system_error& e) {
      stop_error = e.code() == asio::error::operation_aborted;
    }
  }());
  EXPECT_TRUE(timed_out);
  EXPECT_LT(waited, 50ms + kJitter);
  EXPECT_TRUE(stop_error) << "drained() must not report success when the pacer stops";
  EXPECT_LT(h.frame_times().size(), 20u);
  EXPECT_FALSE(h.pacer.push_frame("after stop"));
}

TEST(Pacer, FixedIntervalModeSpacesFramesAfterThePrebuffer) {
  asio::io_context io;
  Pacer::Options opts;
  opts.prebuffer_frames = 2;
  opts.fixed_interval = 100ms;
  Harness h(io, opts);
  h.push_frames(5, "a");
  run_scenario(io, [&]() -> Task<void> {
    co_await h.pacer.drained();
    // A pause the device plays out: the next audio bursts again.
    co_await sleep_until(h.pacer.playback_end() + 20ms);
    h.push_frames(3, "b");
    co_await h.pacer.drained();
    h.pacer.stop();
  }());
  const auto t = h.frame_times();
  ASSERT_EQ(t.size(), 8u);
  for (std::size_t start : {std::size_t{0}, std::size_t{5}}) {
    const std::size_t end = start == 0 ? 5 : 8;
    EXPECT_LT(t[start + 1] - t[start], kAtOnce) << "burst at frame " << start;
    for (std::size_t k = start + 2; k < end; ++k) {
      const auto gap = t[k] - t[k - 1];
      EXPECT_GE(gap, 100ms - 1ms) << "frame " << k;
      EXPECT_LT(gap, 100ms + kJitter) << "frame " << k;
    }
  }
}

TEST(Pacer, QueueIsBounded) {
  asio::io_context io;
  Pacer::Options opts;
  opts.max_queued_frames = 3;
  opts.max_queued_texts = 2;
  Harness h(io, opts);
  EXPECT_TRUE(h.pacer.push_frame("1"));
  EXPECT_TRUE(h.pacer.push_frame("2"));
  EXPECT_TRUE(h.pacer.push_frame("3"));
  EXPECT_FALSE(h.pacer.push_frame("4"));
  EXPECT_EQ(h.pacer.queued_frames(), 3u);
  EXPECT_TRUE(h.pacer.push_text("a"));
  EXPECT_TRUE(h.pacer.push_text("b"));
  EXPECT_FALSE(h.pacer.push_text("c"));
  run_scenario(io, [&]() -> Task<void> {
    co_await h.pacer.drained();
    EXPECT_TRUE(h.pacer.push_frame("5")) << "room again once sent";
    co_await h.pacer.drained();
    h.pacer.stop();
  }());
  EXPECT_EQ(h.frame_times().size(), 4u);
  EXPECT_EQ(h.pacer.sent_frames(), 4u);
}

TEST(Pacer, RejectsBadOptions) {
  asio::io_context io;
  auto make = [&](Pacer::Options o) { Pacer p(io.get_executor(), o, [](std::string) {}, [](std::string) {}); };
  Pacer::Options zero_frame;
  zero_frame.frame_duration = 0ms;
  EXPECT_THROW(make(zero_frame), std::invalid_argument);
  Pacer::Options no_prebuffer;
  no_prebuffer.prebuffer_frames = 0;
  EXPECT_THROW(make(no_prebuffer), std::invalid_argument);
  Pacer::Options no_room;
  no_room.max_queued_frames = 0;
  EXPECT_THROW(make(no_room), std::invalid_argument);
}

TEST(Pacer, AHeldReplySendsNothingThenIsPacedAsUsualFromItsRelease) {
  asio::io_context io;
  Harness h(io);
  h.pacer.hold();
  ASSERT_TRUE(h.pacer.push_text("S"));
  h.push_frames(12);
  Clock::time_point released;
  std::size_t sent_while_held = 99;
  run_scenario(io, [&]() -> Task<void> {
    // Held for longer than the whole prebuffer would take to play.
    co_await xz::core::sleep_for(6 * kFrame);
    sent_while_held = h.log.size();
    EXPECT_TRUE(h.pacer.held());
    released = Clock::now();
    h.pacer.release();
    co_await h.pacer.drained();
    h.pacer.stop();
  }());
  EXPECT_EQ(sent_while_held, 0u) << "a held pacer sent something";
  ASSERT_EQ(h.log.size(), 13u);
  EXPECT_EQ(h.log[0].what, "T:S") << "the text keeps its place before the frames";
  const auto t = h.frame_times();
  // No burst of the held frames beyond the usual prebuffer: five at once, then real time.
  for (std::size_t k = 0; k < 5; ++k) EXPECT_LT(t[k] - released, kAtOnce) << "prebuffer frame " << k;
  for (std::size_t k = 5; k < t.size(); ++k) {
    const auto due = t[0] + (static_cast<int>(k) - 4) * kFrame;
    EXPECT_GE(t[k], due - 1ms) << "frame " << k << " early by " << ms(due - t[k]) << " ms";
    EXPECT_LT(t[k], due + kJitter) << "frame " << k << " late by " << ms(t[k] - due) << " ms";
  }
  for (auto lead : device_leads(t)) EXPECT_LE(lead, 5 * kFrame + 1ms);
}

TEST(Pacer, ClearDropsAHeldReplyUnsentAndReleases) {
  asio::io_context io;
  Harness h(io);
  h.pacer.hold();
  h.push_frames(8, "a");
  run_scenario(io, [&]() -> Task<void> {
    co_await xz::core::sleep_for(2 * kFrame);
    h.pacer.clear();
    EXPECT_FALSE(h.pacer.held());
    h.push_frames(2, "b");
    co_await h.pacer.drained();
    h.pacer.stop();
  }());
  std::vector<std::string> order;
  for (const auto& s : h.log) order.push_back(s.what);
  EXPECT_EQ(order, (std::vector<std::string>{"F:b0", "F:b1"}));
}
