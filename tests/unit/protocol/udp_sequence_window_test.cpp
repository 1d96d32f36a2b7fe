// protocol::UdpSequenceWindow: one test per rule of the receive side (device-protocol.md
// §4.3 and the bounds the server adds).
#include <stdexcept>

#include <gtest/gtest.h>

#include "protocol/udp_sequence_window.h"

using xz::protocol::SequenceVerdict;
using xz::protocol::UdpSequenceWindow;

namespace {
// check() then accept(), as the endpoint does for a packet that passed authentication.
SequenceVerdict take(UdpSequenceWindow& w, std::uint32_t seq) {
  const auto v = w.check(seq);
  if (v == SequenceVerdict::accept) w.accept(seq);
  return v;
}
}  // namespace

TEST(UdpSequenceWindow, FirstPacketMustHaveSequenceAtLeastOne) {
  UdpSequenceWindow w;
  EXPECT_EQ(w.check(0), SequenceVerdict::zero);
  EXPECT_EQ(take(w, 1), SequenceVerdict::accept);
  EXPECT_EQ(w.highest(), 1u);
  EXPECT_EQ(w.check(0), SequenceVerdict::zero);
}

TEST(UdpSequenceWindow, InOrderPacketsAreAllTaken) {
  UdpSequenceWindow w;
  for (std::uint32_t s = 1; s <= 500; ++s) ASSERT_EQ(take(w, s), SequenceVerdict::accept) << s;
  EXPECT_EQ(w.accepted(), 500u);
  EXPECT_EQ(w.gaps(), 0u);
  EXPECT_EQ(w.reordered(), 0u);
}

TEST(UdpSequenceWindow, ReplaysAreRefusedWhereverTheyFallInTheWindow) {
  UdpSequenceWindow w(32);
  for (std::uint32_t s = 1; s <= 40; ++s) take(w, s);
  for (std::uint32_t s = 9; s <= 40; ++s) EXPECT_EQ(w.check(s), SequenceVerdict::duplicate) << s;
  EXPECT_EQ(take(w, 40), SequenceVerdict::duplicate);
  EXPECT_EQ(w.accepted(), 40u);
}

TEST(UdpSequenceWindow, GapsAreTakenAndCounted) {
  UdpSequenceWindow w;
  take(w, 1);
  EXPECT_EQ(take(w, 5), SequenceVerdict::accept);  // 2, 3, 4 lost
  EXPECT_EQ(take(w, 6), SequenceVerdict::accept);
  EXPECT_EQ(take(w, 100), SequenceVerdict::accept);  // beyond the 64-bit memory: starts afresh
  EXPECT_EQ(w.gaps(), 3u + 93u);
  EXPECT_EQ(w.highest(), 100u);
  // A first packet after lost ones is a gap too.
  UdpSequenceWindow v;
  EXPECT_EQ(take(v, 4), SequenceVerdict::accept);
  EXPECT_EQ(v.gaps(), 3u);
}

TEST(UdpSequenceWindow, LatePacketInsideTheWindowIsTakenOnce) {
  UdpSequenceWindow w(8);
  take(w, 1);
  take(w, 2);
  take(w, 4);  // 3 late
  take(w, 9);
  EXPECT_EQ(take(w, 3), SequenceVerdict::accept);  // 6 behind, window 8
  EXPECT_EQ(take(w, 3), SequenceVerdict::duplicate);
  EXPECT_EQ(take(w, 2), SequenceVerdict::duplicate);  // 7 behind, still remembered
  EXPECT_EQ(w.reordered(), 1u);
  EXPECT_EQ(w.highest(), 9u);
}

TEST(UdpSequenceWindow, PacketsOlderThanTheWindowAreRefused) {
  // The window is the bound: with 8, a packet 8 behind is refused though never seen;
  // with 16 the same packet is taken.
  UdpSequenceWindow narrow(8), wide(16);
  for (auto* w : {&narrow, &wide}) {
    take(*w, 1);
    take(*w, 10);  // 2..9 lost
  }
  EXPECT_EQ(narrow.check(2), SequenceVerdict::too_old);
  EXPECT_EQ(narrow.check(3), SequenceVerdict::accept);  // 7 behind
  EXPECT_EQ(wide.check(2), SequenceVerdict::accept);
  // At the largest window, 63 behind is the oldest taken.
  UdpSequenceWindow widest(UdpSequenceWindow::kMaxWindow);
  take(widest, 1);
  take(widest, 65);
  EXPECT_EQ(widest.check(2), SequenceVerdict::accept);  // 63 behind
  EXPECT_EQ(widest.check(1), SequenceVerdict::too_old);  // 64 behind
  take(widest, 66);
  EXPECT_EQ(widest.check(2), SequenceVerdict::too_old);
}

TEST(UdpSequenceWindow, JumpsFurtherThanMaxJumpAreRefused) {
  UdpSequenceWindow w(32, 100, 1000);
  EXPECT_EQ(w.check(101), SequenceVerdict::too_far);  // also for the first packet
  EXPECT_EQ(take(w, 100), SequenceVerdict::accept);
  EXPECT_EQ(w.check(201), SequenceVerdict::too_far);
  EXPECT_EQ(w.check(0xFFFFFFFFu), SequenceVerdict::too_far);
  EXPECT_EQ(take(w, 200), SequenceVerdict::accept);
  // Without the bound (max_jump at its largest) the same jump would be taken.
  UdpSequenceWindow unbounded(32, 0xFFFFFFFFu);
  take(unbounded, 1);
  EXPECT_EQ(unbounded.check(0xFFFFFFFFu), SequenceVerdict::accept);
}

TEST(UdpSequenceWindow, FirstPacketAboveMaxFirstIsRefused) {
  // Before anything was taken, a forgery far ahead would otherwise set the window there.
  UdpSequenceWindow w(32, 1024, 64);
  EXPECT_EQ(w.check(65), SequenceVerdict::too_far);
  EXPECT_EQ(w.check(1000), SequenceVerdict::too_far);
  EXPECT_EQ(take(w, 64), SequenceVerdict::accept);  // 63 lost: still taken
  EXPECT_EQ(take(w, 1000), SequenceVerdict::accept);  // afterwards max_jump rules
  UdpSequenceWindow loose(32, 1024, 1000);
  EXPECT_EQ(loose.check(1000), SequenceVerdict::accept);
}

TEST(UdpSequenceWindow, CheckDoesNotChangeTheWindow) {
  UdpSequenceWindow w;
  take(w, 1);
  EXPECT_EQ(w.check(2), SequenceVerdict::accept);
  EXPECT_EQ(w.check(2), SequenceVerdict::accept);  // not recorded until accept()
  EXPECT_EQ(w.highest(), 1u);
  EXPECT_EQ(w.accepted(), 1u);
}

TEST(UdpSequenceWindow, RejectsBadSizes) {
  EXPECT_THROW(UdpSequenceWindow(0), std::invalid_argument);
  EXPECT_THROW(UdpSequenceWindow(65), std::invalid_argument);
  EXPECT_THROW(UdpSequenceWindow(32, 0), std::invalid_argument);
  EXPECT_THROW(UdpSequenceWindow(32, 10, 0), std::invalid_argument);
  EXPECT_STREQ(to_string(SequenceVerdict::too_old), "too_old");
}
