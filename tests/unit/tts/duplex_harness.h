#pragma once
// Drives a dual-stream TTS engine's link from a test: a loop of its own, replies whose
// text arrives in fragments (with gaps, as an LLM writes it), and what came back.
#include <chrono>
#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_future.hpp>

#include "core/async.h"
#include "core/runtime.h"
#include "providers/tts/tts.h"

namespace xz::test {

struct StreamedReply {
  std::vector<std::int16_t> pcm;
  int sample_rate = 0;
  std::vector<std::string> sentences;  // the vendor's sentence events
  std::optional<std::string> error;    // TtsStreamError's message
  std::optional<std::chrono::steady_clock::time_point> first_audio_at;
  std::chrono::steady_clock::time_point finished_at;
  std::chrono::steady_clock::time_point last_text_at;
  double seconds() const { return sample_rate ? static_cast<double>(pcm.size()) / sample_rate : 0.0; }
};

// Pushes `fragments` (gap apart) into a new stream of `link` while running it.
// stop_after_chunks > 0: the sink says "stop" at that chunk (a barge-in seen by the sink).
inline core::Task<StreamedReply> stream_reply(providers::TtsStreamLink& link, std::vector<std::string> fragments,
                                              std::chrono::milliseconds gap = std::chrono::milliseconds(0),
                                              int stop_after_chunks = 0) {
  using namespace boost::asio::experimental::awaitable_operators;
  auto stream = link.open_stream();
  StreamedReply r;
  int chunks = 0;
  providers::TtsStreamEvents ev;
  ev.audio = [&](providers::PcmChunk c) -> boost::asio::awaitable<bool> {
    if (!r.first_audio_at) r.first_audio_at = std::chrono::steady_clock::now();
    r.pcm.insert(r.pcm.end(), c.samples.begin(), c.samples.end());
    r.sample_rate = c.sample_rate;
    co_return !(stop_after_chunks > 0 && ++chunks >= stop_after_chunks);
  };
  ev.sentence_start = [&](std::string t) { r.sentences.push_back(std::move(t)); };
  auto push = [&]() -> core::Task<void> {
    for (auto& f : fragments) {
      if (gap.count() > 0) co_await core::sleep_for(gap);
      stream->push_text(f);
    }
    r.last_text_at = std::chrono::steady_clock::now();
    stream->finish();
  };
  auto run = [&]() -> core::Task<void> {
    try {
      co_await stream->run(std::move(ev));
    } catch (const providers::TtsStreamError& e) {
      r.error = e.what();
    }
    r.finished_at = std::chrono::steady_clock::now();
  };
  co_await (push() && run());
  co_return r;
}

// Runs a coroutine on rt's first loop and waits for it.
template <class T>
T run_on(core::Runtime& rt, core::Task<T> task, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  auto fut = boost::asio::co_spawn(rt.loop(0), std::move(task), boost::asio::use_future);
  if (fut.wait_for(timeout) != std::future_status::ready) throw std::runtime_error("test coroutine did not finish");
  return fut.get();
}

}  // namespace xz::test
