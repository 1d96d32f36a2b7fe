// The Speaker's encoding: a reply's first frames go out even while the worker pool is
// busy (they are encoded on the loop); the read-ahead behind them waits for the pool.
#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/metrics.h"
#include "core/runtime.h"
#include "pipeline/speaker.h"
#include "providers/tts/flite_tts.h"
#include "support/send_only_link.h"
#include "support/speech.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// Records what the Speaker sends; tells the test when the first frames have gone out.
class RecordingLink : public xz::test::SendOnlyLink {
 public:
  explicit RecordingLink(int notify_at) : notify_at_(notify_at) {}
  bool send_text(std::string) override { return true; }
  bool send_audio(std::string_view, std::uint32_t) override {
    if (++frames_ == notify_at_) reached_.set_value();
    return true;
  }

  int frames() const { return frames_; }
  std::future<void> reached() { return reached_.get_future(); }

 private:
  const int notify_at_;
  std::atomic<int> frames_{0};
  std::promise<void> reached_;
};

}  // namespace

TEST(Speaker, FirstFramesOfAReplyDoNotWaitForABusyPool) {
  xz::core::Runtime rt(1, 1);
  rt.start();
  xz::providers::ProviderContext ctx{rt.pool()};
  xz::providers::FliteTts tts(xz::providers::EngineConfig::object(), ctx);
  xz::core::Metrics registry;
  xz::pipeline::VoiceMetrics metrics(registry);
  xz::pipeline::ConversationSettings settings;
  const int burst = settings.pacer.prebuffer_frames;
  RecordingLink link(burst);
  auto first_frames = link.reached();
  xz::core::SessionLog log;
  const std::string session_id = "test";

  // The pool's only worker is busy until the test lets it go.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::latch busy(1);
  asio::post(rt.pool(), [&busy, released] {
    busy.count_down();
    released.wait();
  });
  busy.wait();

  // One second of a tone, in 100 ms chunks at 24 kHz, as fast as the speaker takes it.
  const auto tone = xz::test::tone(1.0, 440, 24000);
  auto speaker = std::make_shared<xz::pipeline::Speaker>(rt.loop(0).get_executor(), settings, tts, rt.pool(), link,
                                                         session_id, metrics, log);
  auto played = asio::co_spawn(
      rt.loop(0),
      [&, speaker]() -> asio::awaitable<void> {
        speaker->begin_reply(std::make_shared<xz::pipeline::TurnTimings>());
        std::size_t at = 0;
        std::function<asio::awaitable<xz::providers::PcmChunk>()> next =
            [&]() -> asio::awaitable<xz::providers::PcmChunk> {
          const std::size_t n = std::min<std::size_t>(2400, tone.size() - at);
          xz::providers::PcmChunk chunk{{tone.begin() + static_cast<std::ptrdiff_t>(at),
                                         tone.begin() + static_cast<std::ptrdiff_t>(at + n)},
                                        24000};
          at += n;
          co_return chunk;
        };
        co_await speaker->play("tone", std::move(next));
        co_await speaker->drained();
      },
      asio::use_future);

  const bool first_went = first_frames.wait_for(5s) == std::future_status::ready;
  const bool rest_waited = played.wait_for(200ms) == std::future_status::timeout;
  release.set_value();
  EXPECT_TRUE(first_went) << "the reply's first " << burst << " frames waited for the busy pool (" << link.frames()
                          << " sent)";
  EXPECT_TRUE(rest_waited) << "the whole second was encoded without the pool";
  played.get();
  EXPECT_EQ(link.frames(), 17) << "1 s of audio in 60 ms frames";
  asio::co_spawn(rt.loop(0), [speaker]() -> asio::awaitable<void> {
    speaker->stop();
    co_return;
  }, asio::use_future).get();
}
