#pragma once
// The speaking side of a session: segment text -> TTS -> Opus at the downlink format
// -> pacer -> device, with each segment's `sentence_start` sent just before its audio.
// Synthesis of the next segment overlaps playback of the previous one (the pacer holds
// the frames). clear() is the barge-in: nothing queued before it ever leaves.
//
// A dual-stream engine (streams()) gets the reply's text as the LLM writes it instead:
// stream_text() cleans each delta and hands it to the reply's TtsStream at once,
// stream_segment() gives the segmenter's cuts for the subtitles (StreamSubtitles says
// when each is due), stream_run() plays what the engine sends. The vendor connection
// is the session's, kept between replies (TtsStreamLink).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/lazy_deque.h"
#include "core/log.h"
#include "pipeline/conversation_settings.h"
#include "pipeline/greeting_cache.h"
#include "pipeline/pacer.h"
#include "pipeline/pcm_encoder.h"
#include "pipeline/speech_text.h"
#include "pipeline/speech_text_stream.h"
#include "pipeline/stream_subtitles.h"
#include "pipeline/turn_timings.h"
#include "pipeline/voice_metrics.h"
#include "providers/tts/tts.h"
#include "session/device_link.h"

namespace xz::pipeline {

class Speaker {
 public:
  Speaker(boost::asio::any_io_executor ex, const ConversationSettings& settings, providers::TtsEngine& tts,
          boost::asio::thread_pool& pool, session::DeviceLink& link, const std::string& session_id,
          VoiceMetrics& metrics, const core::SessionLog& log);
  ~Speaker();

  // The TTS and settings of the replies from now on (a device's agent changed). Both
  // must outlive their use; the encoder and pacer are kept (the device's format is fixed).
  void set_voice(const ConversationSettings& settings, providers::TtsEngine& tts);
  // The same, holding the engine while its stream link (the vendor connection) lives.
  void set_voice(const ConversationSettings& settings, std::shared_ptr<providers::TtsEngine> tts);
  // Keeps a copy of each reply's Opus frames, up to max_bytes per reply (0 = none): the
  // agent's audio for chat reports. take_frames() hands them over.
  void keep_frames(std::size_t max_bytes);
  std::vector<std::string> take_frames();
  // A new reply starts: timings of this reply go to `timings`; played text restarts.
  // A held (speculative) reply sends nothing until release(); clear() drops it unsent.
  void begin_reply(std::shared_ptr<TurnTimings> timings, bool held = false);
  void release() { pacer_.release(); }
  // Synthesizes one segment and queues its subtitle and frames. Throws on TTS failure.
  // Segments with nothing to say (only punctuation, emoji) are skipped.
  boost::asio::awaitable<void> say(std::string segment);
  // Queues pre-synthesized speech (a cached greeting).
  void say_cached(const CachedSpeech& speech);
  // Streams PCM from `next` (an empty chunk ends it) with `title` as the subtitle:
  // music and other long audio, paced and interruptible like speech.
  boost::asio::awaitable<void> play(std::string title,
                                    std::function<boost::asio::awaitable<providers::PcmChunk>()> next);
  // Dual-stream engine: the reply's text goes to the engine as it streams.
  bool streams() const { return stream_link_ != nullptr; }
  // Text of the reply as the LLM writes it (markdown and all), cleaned and sent at once.
  void stream_text(std::string_view text);
  // A segment of the reply (the segmenter's cut): its subtitle, shown with its audio.
  void stream_segment(const std::string& segment);
  // Text that is a whole segment (a tool's answer, the error line): stream_text and
  // stream_segment of it.
  void stream_whole(const std::string& text);
  // No more text in this reply.
  void stream_end();
  // Plays the reply's stream: until the engine has spoken all of it (after
  // stream_end()) or the reply is cleared. A failure is logged (naming the engine and
  // its error) and counted; the subtitles not shown yet are still shown, and
  // stream_failed() says so. Cancellation throws operation_aborted.
  boost::asio::awaitable<void> stream_run();
  bool stream_failed() const { return stream_failed_; }

  // Until every queued frame has been sent.
  boost::asio::awaitable<void> drained();
  // The reply has been sent in full: frees its encoder (an idle session holds none).
  void end_reply();
  // When the device will have played everything sent so far.
  Clock::time_point playback_end() const { return pacer_.playback_end(); }
  // Barge-in: drops what is queued; segments being synthesized are abandoned.
  void clear();
  // The segments whose audio started playing in this reply (what the user heard).
  const std::vector<std::string>& played() const { return played_; }
  std::size_t queued_frames() const { return pacer_.queued_frames(); }
  const Pacer& pacer() const { return pacer_; }
  void stop();

 private:
  void send_frame(std::string frame);
  void send_text(std::string json);
  void queue_subtitle(const std::string& subtitle);
  bool queue_frame(std::string frame);
  // Encodes a chunk and queues its frames; false when the reply was cleared. While the
  // device is about to run dry (a reply's start) the first frames are encoded right
  // here: tens of microseconds each, where a round trip through a busy pool costs a
  // millisecond or more. The rest, and any read-ahead, is encoded on the pool.
  boost::asio::awaitable<bool> queue_pcm(const providers::PcmChunk& chunk, std::uint64_t gen,
                                         const std::string& subtitle, bool& subtitle_sent);
  // The end of a segment: the encoder's last, padded frame (inline or on the pool, as above).
  boost::asio::awaitable<std::vector<std::string>> flush_encoder();
  bool running_dry() const;
  void queue_frames(std::vector<std::string> frames, const std::string& subtitle, bool& subtitle_sent);
  // Waits while the pacer holds more than a few seconds (back-pressure).
  boost::asio::awaitable<void> wait_for_room(std::uint64_t gen);

  void show_due_subtitles();
  void show_remaining_subtitles();
  void open_reply_stream();

  boost::asio::any_io_executor ex_;
  const ConversationSettings* settings_;  // the current reply's (replacement words, ...)
  providers::TtsEngine* tts_;
  // Dual-stream: the session's vendor connection, made for `link_engine_`.
  std::shared_ptr<providers::TtsEngine> tts_owner_;
  providers::TtsEngine* link_engine_ = nullptr;
  std::unique_ptr<providers::TtsStreamLink> stream_link_;
  std::unique_ptr<providers::TtsStream> stream_;  // this reply's
  SpeechTextStream stream_cleaner_;
  StreamSubtitles subtitles_;
  double stream_seconds_ = 0;  // audio of this reply queued so far
  bool stream_text_started_ = false;
  bool stream_failed_ = false;
  boost::asio::thread_pool& pool_;
  session::DeviceLink& link_;
  const std::string& session_id_;
  VoiceMetrics& metrics_;
  const core::SessionLog& log_;
  PcmEncoder encoder_;
  Pacer pacer_;
  std::uint64_t generation_ = 0;  // bumped by clear(); stale work checks it
  std::shared_ptr<TurnTimings> timings_;
  core::LazyDeque<std::string> queued_subtitles_;
  std::vector<std::string> played_;
  std::size_t keep_limit_ = 0;
  std::vector<std::string> kept_;
  std::size_t kept_bytes_ = 0;
  Clock::time_point epoch_ = Clock::now();
};

}  // namespace xz::pipeline
