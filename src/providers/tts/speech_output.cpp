#include "providers/tts/speech_output.h"

#include <string>

#include "core/async.h"

namespace xz::providers {

namespace {

// Pieces up to this size are decoded on the loop: a few MP3 frames take well under
// 100 us. Larger ones go to the pool, except before the first audio, which leaves sooner
// without the hop.
constexpr std::size_t kInlineDecodeBytes = 1024;

}  // namespace

SpeechOutput::SpeechOutput(std::unique_ptr<audio::AudioStreamDecoder> decoder, PcmSink& sink,
                           boost::asio::thread_pool& pool)
    : decoder_(std::move(decoder)), sink_(&sink), pool_(&pool) {}

boost::asio::awaitable<bool> SpeechOutput::push(std::string_view bytes) {
  if (stopped_) co_return false;
  if (bytes.empty()) co_return true;
  audio::DecodedPcm pcm;
  if (samples_ == 0 || bytes.size() <= kInlineDecodeBytes) {
    pcm = decoder_->push(audio::as_bytes(bytes));
  } else {
    // The caller's buffer stays put while it waits.
    pcm = co_await core::offload(*pool_, [this, bytes] { return decoder_->push(audio::as_bytes(bytes)); });
  }
  co_return co_await deliver(std::move(pcm));
}

boost::asio::awaitable<bool> SpeechOutput::finish() {
  if (stopped_) co_return false;
  co_return co_await deliver(decoder_->finish());
}

boost::asio::awaitable<bool> SpeechOutput::deliver(audio::DecodedPcm pcm) {
  if (pcm.samples.empty()) co_return true;
  samples_ += pcm.samples.size();
  PcmChunk chunk{std::move(pcm.samples), pcm.sample_rate};
  stopped_ = !co_await (*sink_)(std::move(chunk));
  co_return !stopped_;
}

}  // namespace xz::providers
