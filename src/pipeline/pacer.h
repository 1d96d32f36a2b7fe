#pragma once
// Downlink audio pacing for one session. The device plays 60 ms Opus frames, keeps at
// most 40 queued packets (drops the rest) and clears its queue on `tts start`, so the
// server must send in real time with a small lead.
//
// The pacer tracks the device's playback clock: every frame sent moves
// play_end = max(play_end, now) + frame_duration. A frame goes out as soon as sending
// it keeps the lead (play_end - now) within prebuffer_frames * frame_duration: the
// first prebuffer_frames go at once, then one per frame duration; after an underflow
// (TTS slower than real time) the lead is rebuilt at once, never beyond the prebuffer.
// With fixed_interval > 0 (the reference's tts_audio_send_delay) the frames after a
// prebuffer burst go fixed_interval apart instead.
//
// Everything runs on the one executor given (a session's loop or a strand): call every
// member there. One sender coroutine per pacer, woken when items arrive; no member
// blocks. Text messages (sentence_start) are queued with the frames and sent in order,
// costing no time.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace xz::pipeline {

class Pacer {
 public:
  struct Options {
    std::chrono::milliseconds frame_duration{60};
    int prebuffer_frames = 5;                      // lead kept at the device (at least 1)
    std::chrono::milliseconds fixed_interval{0};   // > 0: fixed spacing after the prebuffer burst
    std::size_t max_queued_frames = 1500;          // ~90 s at 60 ms; push_frame fails beyond it
    std::size_t max_queued_texts = 256;
  };
  using SendFrame = std::function<void(std::string frame)>;
  using SendText = std::function<void(std::string text)>;

  // Throws std::invalid_argument on a non-positive frame_duration/prebuffer or a zero bound.
  Pacer(boost::asio::any_io_executor ex, Options opts, SendFrame send_frame, SendText send_text);
  ~Pacer();  // stop()
  Pacer(const Pacer&) = delete;
  Pacer& operator=(const Pacer&) = delete;

  // False when the queue is full or the pacer is stopped (the frame is not queued).
  [[nodiscard]] bool push_frame(std::string frame);
  // Sent in order with the frames. False when full or stopped.
  [[nodiscard]] bool push_text(std::string message);
  // Barge-in: drops everything queued. Nothing queued before clear() is sent after it
  // returns. The playback clock is kept (the device still plays what it has).
  void clear();
  // A speculative reply: frames and texts queue but nothing is sent until release(),
  // which then paces them as usual (the prebuffer burst, then real time). clear() and
  // stop() release too.
  void hold();
  void release();
  bool held() const;
  // Completes when the queue is empty (everything sent, or cleared). Throws
  // boost::system::system_error(operation_aborted) when the wait is cancelled or the
  // pacer stops.
  boost::asio::awaitable<void> drained();
  // When the device will have played everything sent so far (<= now when idle).
  std::chrono::steady_clock::time_point playback_end() const;
  std::size_t queued_frames() const;
  std::size_t sent_frames() const;
  // How late each frame that had to wait for its due time was sent (the last 4096;
  // in no particular order once full). For metrics and the bench.
  const std::vector<std::chrono::microseconds>& lateness_samples() const;
  // Ends the sender coroutine and drops the queue (session close). Idempotent.
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace xz::pipeline
