#pragma once
// Shared by the VAD tests: run a coroutine on a loop, feed audio in chunks, and find
// where the speech really is in test audio.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "core/async.h"
#include "core/runtime.h"
#include "providers/vad/vad.h"

namespace xz::test {

template <class T>
T run_on(core::Runtime& rt, core::Task<T> task, std::size_t loop = 0) {
  return boost::asio::co_spawn(rt.loop(loop), std::move(task), boost::asio::use_future).get();
}

// The speech_start and speech_end events of `ev`.
inline std::vector<providers::VadEvent> only_start_end(const std::vector<providers::VadEvent>& ev) {
  std::vector<providers::VadEvent> out;
  for (const auto& e : ev)
    if (e.kind == providers::VadEvent::Kind::speech_start || e.kind == providers::VadEvent::Kind::speech_end)
      out.push_back(e);
  return out;
}

// Feeds pcm in chunks of `chunk` samples (the last may be shorter); its events in order:
// speech_start and speech_end only, unless with_pauses (the speculative pause/resume
// events, on by default in every engine, have tests of their own).
inline core::Task<std::vector<providers::VadEvent>> feed(providers::VadStream& s, const std::vector<std::int16_t>& pcm,
                                                         std::size_t chunk, bool with_pauses = false) {
  std::vector<providers::VadEvent> all;
  for (std::size_t at = 0; at < pcm.size(); at += chunk) {
    const std::size_t n = std::min(chunk, pcm.size() - at);
    auto ev = co_await s.push(std::vector<std::int16_t>(pcm.begin() + at, pcm.begin() + at + n));
    if (!with_pauses) ev = only_start_end(ev);
    all.insert(all.end(), ev.begin(), ev.end());
  }
  co_return all;
}

// [first, last] sample index whose 10 ms frame is louder than `level` (absolute peak).
inline std::pair<std::size_t, std::size_t> loud_span(const std::vector<std::int16_t>& pcm, int level = 1000) {
  constexpr std::size_t kFrame = 160;
  std::size_t first = pcm.size(), last = 0;
  for (std::size_t at = 0; at + kFrame <= pcm.size(); at += kFrame) {
    int peak = 0;
    for (std::size_t i = at; i < at + kFrame; ++i) peak = std::max(peak, std::abs(static_cast<int>(pcm[i])));
    if (peak > level) {
      first = std::min(first, at);
      last = at + kFrame;
    }
  }
  return {first, last};
}

inline double ms(std::int64_t samples) { return static_cast<double>(samples) / 16.0; }

}  // namespace xz::test
