#pragma once
// Drives a TtsEngine from a test: an io_context on the test thread, a real worker
// pool, and a sink that records what arrives and when.
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include "providers/tts/tts.h"

namespace xz::test {

using SteadyClock = std::chrono::steady_clock;

struct Received {
  std::vector<std::int16_t> pcm;
  std::vector<std::size_t> chunk_sizes;
  std::vector<int> rates;
  std::optional<SteadyClock::time_point> first_chunk_at;
  std::vector<std::thread::id> sink_threads;
  int sample_rate() const { return rates.empty() ? 0 : rates.front(); }
  double seconds() const { return rates.empty() ? 0.0 : static_cast<double>(pcm.size()) / rates.front(); }
};

// A sink that appends into `out`; `keep_going(n)` is asked after the n-th chunk.
inline providers::PcmSink recording_sink(Received& out, std::function<bool(int)> keep_going = {}) {
  return [&out, keep_going](providers::PcmChunk c) -> boost::asio::awaitable<bool> {
    if (!out.first_chunk_at) out.first_chunk_at = SteadyClock::now();
    out.pcm.insert(out.pcm.end(), c.samples.begin(), c.samples.end());
    out.chunk_sizes.push_back(c.samples.size());
    out.rates.push_back(c.sample_rate);
    out.sink_threads.push_back(std::this_thread::get_id());
    co_return keep_going ? keep_going(static_cast<int>(out.chunk_sizes.size())) : true;
  };
}

// Runs one synthesis to completion on `io` (driven by this thread); rethrows its error.
inline void run_synthesis(boost::asio::io_context& io, providers::TtsEngine& engine, providers::TtsRequest req,
                          providers::PcmSink sink, boost::asio::cancellation_signal* cancel = nullptr) {
  std::future<void> done;
  if (cancel)
    done = boost::asio::co_spawn(io, engine.synthesize(std::move(req), std::move(sink)),
                                 boost::asio::bind_cancellation_slot(cancel->slot(), boost::asio::use_future));
  else
    done = boost::asio::co_spawn(io, engine.synthesize(std::move(req), std::move(sink)), boost::asio::use_future);
  io.restart();
  io.run();
  done.get();
}

}  // namespace xz::test
