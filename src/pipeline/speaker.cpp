#include "pipeline/speaker.h"

#include <algorithm>
#include <span>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/async.h"
#include "pipeline/sentence_segmenter.h"
#include "protocol/server_messages.h"

namespace xz::pipeline {

namespace asio = boost::asio;

namespace {
// The pacer may hold this much ahead of playback before synthesis waits (back-pressure
// for long answers and music); well under the pacer's own bound.
constexpr std::size_t kHighWatermarkFrames = 250;
// Frames a running-dry reply encodes on the loop before the rest goes to the pool.
constexpr int kInlineFrames = 2;
}  // namespace

Speaker::Speaker(asio::any_io_executor ex, const ConversationSettings& settings, providers::TtsEngine& tts,
                 asio::thread_pool& pool, session::DeviceLink& link, const std::string& session_id,
                 VoiceMetrics& metrics, const core::SessionLog& log)
    : ex_(ex),
      settings_(&settings),
      tts_(&tts),
      pool_(pool),
      link_(link),
      session_id_(session_id),
      metrics_(metrics),
      log_(log),
      encoder_(settings.downlink),
      pacer_(
          ex, settings.pacer, [this](std::string f) { send_frame(std::move(f)); },
          [this](std::string t) { send_text(std::move(t)); }) {
  link_engine_ = &tts;
  stream_link_ = tts.open_stream_link(ex_);
}

Speaker::~Speaker() { stop(); }

void Speaker::stop() {
  metrics_.downlink_queued_frames.add(-static_cast<double>(pacer_.queued_frames()));
  pacer_.stop();
}

void Speaker::set_voice(const ConversationSettings& settings, providers::TtsEngine& tts) {
  settings_ = &settings;
  tts_ = &tts;
  if (&tts == link_engine_) return;
  // Another engine: the old one's vendor connection goes with its link.
  stream_.reset();
  stream_link_ = tts.open_stream_link(ex_);
  link_engine_ = &tts;
  tts_owner_.reset();
}

void Speaker::set_voice(const ConversationSettings& settings, std::shared_ptr<providers::TtsEngine> tts) {
  set_voice(settings, *tts);
  tts_owner_ = std::move(tts);
}

void Speaker::keep_frames(std::size_t max_bytes) { keep_limit_ = max_bytes; }

std::vector<std::string> Speaker::take_frames() {
  kept_bytes_ = 0;
  return std::exchange(kept_, {});
}

void Speaker::begin_reply(std::shared_ptr<TurnTimings> timings, bool held) {
  timings_ = std::move(timings);
  if (held)
    pacer_.hold();
  else
    pacer_.release();
  played_.clear();
  kept_.clear();
  kept_bytes_ = 0;
  encoder_.reset();
  open_reply_stream();
}

void Speaker::open_reply_stream() {
  stream_.reset();
  subtitles_.reset();
  stream_seconds_ = 0;
  stream_text_started_ = false;
  stream_failed_ = false;
  if (!stream_link_) return;
  stream_ = stream_link_->open_stream();
  stream_cleaner_.reset(&settings_->replacement_words);
}

void Speaker::end_reply() { encoder_.reset(); }

void Speaker::send_frame(std::string frame) {
  metrics_.downlink_queued_frames.add(-1);
  if (timings_ && !timings_->first_frame_sent) timings_->first_frame_sent = Clock::now();
  auto ts = static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - epoch_).count());
  link_.send_audio(frame, ts);
}

void Speaker::send_text(std::string json) {
  if (!queued_subtitles_.empty()) {
    played_.push_back(std::move(queued_subtitles_.front()));
    queued_subtitles_.pop_front();
  }
  link_.send_text(std::move(json));
}

void Speaker::queue_subtitle(const std::string& subtitle) {
  if (pacer_.push_text(protocol::make_tts_sentence_start(session_id_, subtitle))) queued_subtitles_.push_back(subtitle);
}

bool Speaker::queue_frame(std::string frame) {
  if (kept_bytes_ + frame.size() <= keep_limit_) {
    kept_bytes_ += frame.size();
    kept_.push_back(frame);
  }
  if (!pacer_.push_frame(std::move(frame))) return false;
  metrics_.downlink_queued_frames.add(1);
  return true;
}

bool Speaker::running_dry() const {
  // Fewer frames queued than the pacer's start-up burst.
  return pacer_.queued_frames() < static_cast<std::size_t>(std::max(settings_->pacer.prebuffer_frames, 1));
}

void Speaker::queue_frames(std::vector<std::string> frames, const std::string& subtitle, bool& subtitle_sent) {
  if (!frames.empty() && !subtitle_sent) {
    queue_subtitle(subtitle);
    subtitle_sent = true;
  }
  for (auto& f : frames)
    if (!queue_frame(std::move(f))) log_.warn("downlink queue full: dropping a frame");
}

asio::awaitable<bool> Speaker::queue_pcm(const providers::PcmChunk& chunk, std::uint64_t gen,
                                         const std::string& subtitle, bool& subtitle_sent) {
  std::span<const std::int16_t> rest = chunk.samples;
  if (running_dry()) {
    const auto inline_samples =
        static_cast<std::size_t>(chunk.sample_rate) * static_cast<std::size_t>(kInlineFrames * settings_->downlink.frame_ms) / 1000;
    const std::size_t n = std::min(rest.size(), inline_samples);
    queue_frames(encoder_.push(rest.first(n), chunk.sample_rate), subtitle, subtitle_sent);
    rest = rest.subspan(n);
  }
  if (!rest.empty()) {
    auto frames =
        co_await core::offload(pool_, [this, rest, rate = chunk.sample_rate] { return encoder_.push(rest, rate); });
    if (gen != generation_) co_return false;
    queue_frames(std::move(frames), subtitle, subtitle_sent);
  }
  co_await wait_for_room(gen);
  co_return gen == generation_;
}

asio::awaitable<std::vector<std::string>> Speaker::flush_encoder() {
  if (running_dry()) co_return encoder_.flush();
  co_return co_await core::offload(pool_, [this] { return encoder_.flush(); });
}

asio::awaitable<void> Speaker::wait_for_room(std::uint64_t gen) {
  asio::steady_timer wait(ex_);
  while (pacer_.queued_frames() > kHighWatermarkFrames && gen == generation_) {
    wait.expires_after(settings_->pacer.frame_duration * 10);
    co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> Speaker::say(std::string segment) {
  const std::uint64_t gen = generation_;
  std::string subtitle = for_subtitle(segment);
  std::string speech = for_speech(segment, settings_->replacement_words);
  if (speech.find_first_not_of(" \t\r\n") == std::string::npos) co_return;

  if (timings_ && !timings_->tts_request) timings_->tts_request = Clock::now();
  bool subtitle_sent = false;
  providers::PcmSink sink = [&](providers::PcmChunk chunk) -> asio::awaitable<bool> {
    if (gen != generation_) co_return false;
    if (timings_ && !timings_->tts_first_audio) {
      timings_->tts_first_audio = Clock::now();
      if (auto ms = TurnTimings::ms(timings_->tts_request, timings_->tts_first_audio))
        metrics_.tts_first_audio_ms.observe(*ms);
    }
    co_return co_await queue_pcm(chunk, gen, subtitle, subtitle_sent);
  };
  // Named arguments: g++ 12 destroys braced temporaries of a co_await call twice.
  providers::TtsRequest request{speech, "", ""};
  std::exception_ptr failure;
  try {
    co_await tts_->synthesize(std::move(request), std::move(sink));
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) throw;
    failure = std::current_exception();
  } catch (const std::exception&) {
    failure = std::current_exception();
  }
  if (failure) {
    // The device still shows what was to be said.
    if (gen == generation_ && !subtitle_sent) queue_subtitle(subtitle);
    std::rethrow_exception(failure);
  }
  if (gen != generation_) co_return;
  auto tail = co_await flush_encoder();
  if (gen != generation_) co_return;
  if (!tail.empty() && !subtitle_sent) queue_subtitle(subtitle);
  for (auto& f : tail) queue_frame(std::move(f));
}

asio::awaitable<void> Speaker::play(std::string title,
                                    std::function<asio::awaitable<providers::PcmChunk>()> next) {
  const std::uint64_t gen = generation_;
  bool subtitle_sent = false;
  for (;;) {
    providers::PcmChunk chunk = co_await next();
    if (gen != generation_ || chunk.samples.empty()) break;
    if (!co_await queue_pcm(chunk, gen, title, subtitle_sent)) co_return;
  }
  if (gen != generation_) co_return;
  auto tail = co_await flush_encoder();
  if (gen != generation_) co_return;
  for (auto& f : tail) queue_frame(std::move(f));
}

void Speaker::say_cached(const CachedSpeech& speech) {
  queue_subtitle(speech.text);
  for (const auto& f : speech.frames) queue_frame(f);
}

void Speaker::stream_text(std::string_view text) {
  if (!stream_) return;
  if (!stream_text_started_) {
    stream_text_started_ = true;
    if (timings_ && !timings_->tts_request) timings_->tts_request = Clock::now();
  }
  std::string clean = stream_cleaner_.push(text);
  if (!clean.empty()) stream_->push_text(std::move(clean));
}

void Speaker::stream_segment(const std::string& segment) {
  if (!stream_) return;
  std::string speech = for_speech(segment, settings_->replacement_words);
  if (speech.find_first_not_of(" \t\r\n") == std::string::npos) return;
  subtitles_.add(for_subtitle(segment), speech);
  if (stream_failed_) show_remaining_subtitles();
}

void Speaker::stream_whole(const std::string& text) {
  if (!stream_) return;
  stream_text("\n" + text + "\n");
  SentenceSegmenter segmenter(SentenceSegmenter::Options{});
  for (auto& seg : segmenter.push(text)) stream_segment(seg);
  if (auto rest = segmenter.finish()) stream_segment(*rest);
}

void Speaker::stream_end() {
  if (!stream_) return;
  std::string rest = stream_cleaner_.finish();
  if (!rest.empty()) stream_->push_text(std::move(rest));
  stream_->finish();
}

void Speaker::show_due_subtitles() {
  for (auto& s : subtitles_.due(stream_seconds_)) queue_subtitle(s);
}

void Speaker::show_remaining_subtitles() {
  for (auto& s : subtitles_.rest()) queue_subtitle(s);
}

asio::awaitable<void> Speaker::stream_run() {
  if (!stream_) co_return;
  const std::uint64_t gen = generation_;
  providers::TtsStreamEvents events;
  events.audio = [this, gen](providers::PcmChunk chunk) -> asio::awaitable<bool> {
    if (gen != generation_) co_return false;
    if (timings_ && !timings_->tts_first_audio) {
      timings_->tts_first_audio = Clock::now();
      if (auto ms = TurnTimings::ms(timings_->tts_request, timings_->tts_first_audio))
        metrics_.tts_first_audio_ms.observe(*ms);
    }
    show_due_subtitles();
    stream_seconds_ += static_cast<double>(chunk.samples.size()) / std::max(chunk.sample_rate, 1);
    bool subtitle_sent = true;  // the subtitles are StreamSubtitles' business
    co_return co_await queue_pcm(chunk, gen, std::string(), subtitle_sent);
  };
  events.sentence_start = [this, gen](std::string text) {
    if (gen == generation_) subtitles_.vendor_sentence(text);
  };
  try {
    co_await stream_->run(std::move(events));
  } catch (const providers::TtsStreamError& e) {
    if (gen != generation_) co_return;
    stream_failed_ = true;
    metrics_.tts_errors.inc();
    log_.error("TTS stream failed: {}", e.what());
  }
  if (gen != generation_) co_return;
  auto tail = co_await flush_encoder();
  if (gen != generation_) co_return;
  for (auto& f : tail) queue_frame(std::move(f));
  show_remaining_subtitles();
}

asio::awaitable<void> Speaker::drained() { co_await pacer_.drained(); }

void Speaker::clear() {
  ++generation_;
  if (stream_) stream_->cancel();
  metrics_.downlink_queued_frames.add(-static_cast<double>(pacer_.queued_frames()));
  pacer_.clear();
  queued_subtitles_.clear();
}

}  // namespace xz::pipeline
