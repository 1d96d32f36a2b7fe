#pragma once
// Voice activity detection: one shared model per process, one small stream per session.
#include <cstdint>
#include <memory>
#include <span>
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
};

class VadEngine {
 public:
  virtual ~VadEngine() = default;
  virtual std::unique_ptr<VadStream> open() = 0;
};

}  // namespace xz::providers
