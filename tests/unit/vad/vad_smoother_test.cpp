#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "providers/vad/vad_smoother.h"

using xz::providers::VadEvent;
using xz::providers::VadSmoother;

namespace {
constexpr std::uint64_t kW = 512;
constexpr auto kStart = VadEvent::Kind::speech_start;
constexpr auto kEnd = VadEvent::Kind::speech_end;
using Ev = std::pair<VadEvent::Kind, int>;

// One decision per 512-sample window ('1' = voiced); (kind, window index) of each event.
std::vector<Ev> run(VadSmoother& s, const std::string& pattern) {
  std::vector<Ev> out;
  for (std::size_t i = 0; i < pattern.size(); ++i)
    if (auto e = s.add(pattern[i] == '1', (i + 1) * kW)) {
      EXPECT_EQ(e->sample, (i + 1) * kW) << "an event carries the position where it was decided";
      out.emplace_back(e->kind, static_cast<int>(i));
    }
  return out;
}
}  // namespace

TEST(VadSmoother, ThirdVoicedFrameInFiveStartsSpeech) {
  VadSmoother s({5, 3, 2 * kW});
  EXPECT_EQ(run(s, "0010101"), (std::vector<Ev>{{kStart, 6}}));
  EXPECT_TRUE(s.in_speech());
}

TEST(VadSmoother, IsolatedBlipsNeverStartSpeech) {
  VadSmoother s({5, 3, 2 * kW});
  EXPECT_TRUE(run(s, "1001001001001001").empty());
  EXPECT_FALSE(s.in_speech());
}

TEST(VadSmoother, SpeechEndsMinSilenceAfterTheLastVoicedFrame) {
  VadSmoother s({5, 3, 2 * kW});
  // The last voiced frame is 4: silence counts from its end, not from the end of the
  // smoothed "3 of 5" (frame 6), which would cost two more frames on every turn.
  EXPECT_EQ(run(s, "1111100000000"), (std::vector<Ev>{{kStart, 2}, {kEnd, 6}}));
  EXPECT_FALSE(s.in_speech());
}

TEST(VadSmoother, AVoicedFrameInsideTheSilenceRestartsTheCount) {
  VadSmoother s({5, 3, 3 * kW});
  EXPECT_EQ(run(s, "11111001000000"), (std::vector<Ev>{{kStart, 2}, {kEnd, 10}}));
}

TEST(VadSmoother, GapShorterThanMinSilenceDoesNotSplitSpeech) {
  VadSmoother s({5, 3, 5 * kW});
  EXPECT_EQ(run(s, "11111000111110000000"), (std::vector<Ev>{{kStart, 2}, {kEnd, 17}}));
}

TEST(VadSmoother, SecondUtteranceAfterEndStartsAgain) {
  VadSmoother s({5, 3, 2 * kW});
  EXPECT_EQ(run(s, "111110000000111"),
            (std::vector<Ev>{{kStart, 2}, {kEnd, 6}, {kStart, 14}}));
}

TEST(VadSmoother, TheEndedUtterancesTailDoesNotStartTheNextOne) {
  // With a short silence the window still holds 3 voiced frames at the end; the next
  // frame alone must not start speech again.
  VadSmoother s({5, 3, 2 * kW});
  EXPECT_EQ(run(s, "1111100101"), (std::vector<Ev>{{kStart, 2}, {kEnd, 6}}));
}

TEST(VadSmoother, ResetForgetsSpeechAndHistory) {
  VadSmoother s({5, 3, 2 * kW});
  run(s, "1111");
  ASSERT_TRUE(s.in_speech());
  s.reset();
  EXPECT_FALSE(s.in_speech());
  // Two more voiced frames are not enough after a reset: the history is gone.
  EXPECT_FALSE(s.add(true, kW).has_value());
  EXPECT_FALSE(s.add(true, 2 * kW).has_value());
  EXPECT_TRUE(s.add(true, 3 * kW).has_value());
}

TEST(VadSmoother, RejectsImpossibleWindows) {
  EXPECT_THROW(VadSmoother({5, 6, 0}), std::invalid_argument);
  EXPECT_THROW(VadSmoother({0, 0, 0}), std::invalid_argument);
  EXPECT_THROW(VadSmoother({33, 3, 0}), std::invalid_argument);
  EXPECT_NO_THROW(VadSmoother({32, 32, 0}));
}

namespace {
constexpr auto kPause = VadEvent::Kind::pause;
constexpr auto kResume = VadEvent::Kind::resume;
}  // namespace

TEST(VadSmoother, APauseIsReportedOnceBeforeTheEnd) {
  VadSmoother s({5, 3, 4 * kW, 2 * kW});
  // Last voice ends with frame 4: the pause is due two frames later, the end four.
  EXPECT_EQ(run(s, "111110000000"), (std::vector<Ev>{{kStart, 2}, {kPause, 6}, {kEnd, 8}}));
}

TEST(VadSmoother, VoiceAfterAPauseResumesAndTheNextSilencePausesAgain) {
  VadSmoother s({5, 3, 4 * kW, 2 * kW});
  EXPECT_EQ(run(s, "11111001110000000"),
            (std::vector<Ev>{{kStart, 2}, {kPause, 6}, {kResume, 7}, {kPause, 11}, {kEnd, 13}}));
}

TEST(VadSmoother, AGapShorterThanThePauseReportsNothing) {
  VadSmoother s({5, 3, 4 * kW, 3 * kW});
  EXPECT_EQ(run(s, "1111100111100000"), (std::vector<Ev>{{kStart, 2}, {kPause, 13}, {kEnd, 14}}));
}

TEST(VadSmoother, NoPausesWhenOff) {
  VadSmoother s({5, 3, 4 * kW, 0});
  EXPECT_EQ(run(s, "11111001110000000"), (std::vector<Ev>{{kStart, 2}, {kEnd, 13}}));
}

TEST(VadSmoother, ResetForgetsAPause) {
  VadSmoother s({5, 3, 4 * kW, 2 * kW});
  EXPECT_EQ(run(s, "1111100"), (std::vector<Ev>{{kStart, 2}, {kPause, 6}}));
  s.reset();
  // A fresh start: no resume for the pause before the reset.
  EXPECT_EQ(run(s, "111"), (std::vector<Ev>{{kStart, 2}}));
}

TEST(VadSmoother, EndSilenceOverrideHoldsForTheUtteranceInProgressOnly) {
  VadSmoother s({5, 3, 4 * kW});
  EXPECT_EQ(run(s, "11111"), (std::vector<Ev>{{kStart, 2}}));
  s.set_end_silence(2 * kW);  // a complete sentence: end sooner
  std::vector<Ev> out;
  for (int i = 0; i < 6; ++i)
    if (auto e = s.add(false, (6 + i) * kW)) out.emplace_back(e->kind, 5 + i);
  EXPECT_EQ(out, (std::vector<Ev>{{kEnd, 6}}));
  // The next utterance is back at min_silence; an override outside speech is ignored.
  s.set_end_silence(1 * kW);
  out.clear();
  for (int i = 0; i < 12; ++i)
    if (auto e = s.add(i < 5, (20 + i) * kW)) out.emplace_back(e->kind, 19 + i);
  EXPECT_EQ(out, (std::vector<Ev>{{kStart, 21}, {kEnd, 27}}));
}

TEST(VadSmoother, LongerEndSilenceStillReportsThePause) {
  VadSmoother s({5, 3, 4 * kW, 2 * kW});
  EXPECT_EQ(run(s, "11111"), (std::vector<Ev>{{kStart, 2}}));
  s.set_end_silence(8 * kW);  // a trailing "and": wait longer
  std::vector<Ev> out;
  for (int i = 0; i < 10; ++i)
    if (auto e = s.add(false, (6 + i) * kW)) out.emplace_back(e->kind, 5 + i);
  EXPECT_EQ(out, (std::vector<Ev>{{VadEvent::Kind::pause, 6}, {kEnd, 12}}));
}
