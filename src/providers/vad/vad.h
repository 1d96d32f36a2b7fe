#pragma once
// Voice activity detection: one shared model per process, one small stream per session.
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace xz::providers {

struct VadEvent {
  // pause: a shorter silence than the endpoint's (the tentative end a speculative reply
  // starts on); resume: voice again after a pause, before speech_end.
  enum class Kind { speech_start, speech_end, pause, resume };
  Kind kind;
  // Position in the stream (16 kHz samples since open or reset) where it was decided.
  std::uint64_t sample;
};

class VadStream {
 public:
  virtual ~VadStream() = default;
  // Feeds 16 kHz mono PCM of any length; returns the events it caused, in order.
  // Inference runs on the worker pool; resumes on the caller's executor.
  virtual boost::asio::awaitable<std::vector<VadEvent>> push(std::vector<std::int16_t> pcm) = 0;
  // True between speech_start and speech_end.
  virtual bool in_speech() const = 0;
  // Forget all state (new listen turn).
  virtual void reset() = 0;
  // A streaming ASR's latest partial transcript of the utterance in progress: the silence
  // that ends it follows the turn-end policy (a complete sentence ends sooner, a trailing
  // "and" waits longer). Call on the executor that pushes. Default: ignored.
  virtual void hear_partial(std::string_view text) { (void)text; }
};

class VadEngine {
 public:
  virtual ~VadEngine() = default;
  virtual std::unique_ptr<VadStream> open() = 0;
};

}  // namespace xz::providers
