#include "providers/tts/tts.h"

#include <boost/asio/this_coro.hpp>

namespace xz::providers {

boost::asio::awaitable<void> synthesize_over_stream(TtsEngine& engine, TtsRequest req, PcmSink sink) {
  auto link = engine.open_stream_link(co_await boost::asio::this_coro::executor);
  if (!link) throw std::logic_error("synthesize_over_stream: the engine does not stream");
  auto stream = link->open_stream();
  stream->push_text(std::move(req.text));
  stream->finish();
  TtsStreamEvents events;
  events.audio = std::move(sink);
  co_await stream->run(std::move(events));
}

}  // namespace xz::providers
