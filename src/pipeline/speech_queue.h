#pragma once
// What one reply says, in order, between the LLM stream and the speaking coroutine.
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "pipeline/speaker.h"
#include "providers/tts/tts.h"

namespace xz::pipeline {

// What the reply says, in order: text segments from the LLM stream (a synchronous
// sink) and audio a tool asked to play, consumed by the speaking coroutine. With a
// dual-stream engine the text goes to the Speaker's stream at once instead, and only
// the audio waits here (played after the reply's speech, as the reference does).
struct SpeechItem {
  std::string text;
  std::string title;  // playback
  std::function<boost::asio::awaitable<providers::PcmChunk>()> audio;
};

class SpeechQueue {
 public:
  SpeechQueue(boost::asio::any_io_executor ex, Speaker* streaming)
      : notify_(ex, Clock::time_point::max()), streaming_(streaming) {}
  void push(SpeechItem s) {
    if (streaming_ && !s.audio) {
      streaming_->stream_whole(s.text);
      return;
    }
    items_.push_back(std::move(s));
    notify_.cancel();
  }
  void push_text(std::string s) { push({std::move(s), {}, {}}); }
  // A segment of LLM text: on the stream its text went to the engine already.
  void push_segment(std::string s) {
    if (streaming_)
      streaming_->stream_segment(s);
    else
      push_text(std::move(s));
  }
  void close() {
    if (streaming_ && !closed_) streaming_->stream_end();
    closed_ = true;
    notify_.cancel();
  }
  boost::asio::awaitable<std::optional<SpeechItem>> next() {
    while (items_.empty() && !closed_) {
      notify_.expires_at(Clock::time_point::max());
      co_await notify_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      auto cs = co_await boost::asio::this_coro::cancellation_state;
      if (cs.cancelled() != boost::asio::cancellation_type::none)
        throw boost::system::system_error(boost::asio::error::operation_aborted);
    }
    if (items_.empty()) co_return std::nullopt;
    SpeechItem s = std::move(items_.front());
    items_.pop_front();
    co_return s;
  }

 private:
  std::deque<SpeechItem> items_;
  bool closed_ = false;
  boost::asio::steady_timer notify_;
  Speaker* streaming_;
};

}  // namespace xz::pipeline
