#include "pipeline/listener.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace xz::pipeline {

namespace asio = boost::asio;

namespace {
constexpr std::size_t kRate = 16000;
// What an empty or unreadable packet counts as against the uplink budget: the
// firmware's frame (the decoder rejects a broken one later, cheaply).
constexpr double kNominalFrameMs = 60.0;
constexpr auto kDropLogInterval = std::chrono::seconds(10);
std::size_t samples_for(std::chrono::milliseconds d) { return static_cast<std::size_t>(d.count()) * kRate / 1000; }
}  // namespace

Listener::Listener(asio::any_io_executor ex, ListenerSettings settings, providers::VadEngine& vad,
                   providers::AsrEngine& asr, const core::SessionLog& log, ListenerEvents events)
    : ex_(std::move(ex)),
      settings_(settings),
      asr_engine_(asr),
      log_(log),
      events_(std::move(events)),
      vad_engine_(vad),
      wake_(ex_, Clock::time_point::max()),
      worker_done_(ex_),
      uplink_budget_(settings_.max_uplink_speed * 1000.0,
                     settings_.max_uplink_speed * static_cast<double>(settings_.uplink_speed_window.count()),
                     Clock::now()) {
  // The worker only touches members; close() waits for it before the Listener dies.
  asio::co_spawn(ex_, worker(), asio::detached);
}

Listener::~Listener() = default;

bool Listener::in_speech() const { return mode_ == Mode::manual ? manual_open_ : vad_ && vad_->in_speech(); }

bool Listener::count_drop(std::uint64_t& count, Clock::time_point& logged) {
  ++count;
  const auto now = Clock::now();
  if (count > 1 && now - logged < kDropLogInterval) return false;
  logged = now;
  return true;
}

void Listener::push_opus(std::string_view opus) {
  if (closing_) return;
  // Measured from the frames' own durations, before any decoding: a device sending
  // audio flat out costs at most max_uplink_speed x real time of work.
  auto duration = audio::opus_packet_duration(opus);
  const double ms = duration ? static_cast<double>(duration->count()) / 1000.0 : kNominalFrameMs;
  if (!uplink_budget_.take(ms, Clock::now())) {
    if (count_drop(over_speed_, over_speed_logged_))
      log_.warn("uplink audio faster than {:g}x real time: dropping frames ({} dropped so far)",
                settings_.max_uplink_speed, over_speed_);
    if (events_.dropped) events_.dropped(ListenerDrop::over_speed);
    return;
  }
  if (frames_queued_ >= settings_.max_queued_frames) {
    // The pool cannot keep up (overload): losing audio beats falling further behind.
    if (count_drop(dropped_, overload_logged_))
      log_.warn("listener overloaded: dropping uplink audio ({} dropped so far)", dropped_);
    if (events_.dropped) events_.dropped(ListenerDrop::overload);
    return;
  }
  std::string error;
  if (!decoder_) decoder_.emplace(16000, 1);
  auto pcm = decoder_->decode(opus, &error);
  if (!pcm) {
    log_.debug("undecodable uplink packet: {}", error);
    return;
  }
  if (pcm->empty()) return;
  ++frames_queued_;
  enqueue(Pcm{std::move(*pcm), settings_.keep_opus ? std::string(opus) : std::string()});
}

void Listener::start(Mode mode) { enqueue(Start{mode}); }
void Listener::stop() { enqueue(Stop{}); }
void Listener::reset() { enqueue(Reset{}); }

void Listener::enqueue(Item item) {
  if (closing_) return;
  if (!std::holds_alternative<Pcm>(item)) {
    if (controls_queued_ >= settings_.max_queued_controls) {
      // A device looping on listen messages; a real one sends a few per utterance.
      if (count_drop(controls_dropped_, controls_logged_))
        log_.warn("more than {} listen messages waiting: dropping them ({} dropped so far)",
                  settings_.max_queued_controls, controls_dropped_);
      if (events_.dropped) events_.dropped(ListenerDrop::listen_message);
      return;
    }
    ++controls_queued_;
  }
  queue_.push_back(std::move(item));
  wake_.cancel();
}

asio::awaitable<void> Listener::close() {
  closing_ = true;
  queue_.clear();
  frames_queued_ = 0;
  controls_queued_ = 0;
  wake_.cancel();
  // The worker finishes the item in hand (at most one engine call), then exits.
  co_await worker_done_.wait();
  drop_utterance();
  for (auto& s : dropped_speculations_)
    if (!s->done.is_set()) co_await s->done.wait();
  dropped_speculations_.clear();
}

asio::awaitable<void> Listener::worker() {
  while (!closing_) {
    if (queue_.empty()) {
      wake_.expires_at(Clock::time_point::max());
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    Item item = std::move(queue_.front());
    queue_.pop_front();
    try {
      if (!std::holds_alternative<Pcm>(item)) --controls_queued_;
      if (auto* p = std::get_if<Pcm>(&item)) {
        --frames_queued_;
        co_await on_pcm(std::move(*p));
      } else if (auto* s = std::get_if<Start>(&item)) {
        drop_utterance();
        mode_ = s->mode;
        manual_open_ = mode_ == Mode::manual;
        if (vad_) vad_->reset();
      } else if (std::holds_alternative<Stop>(item)) {
        if (mode_ == Mode::manual && manual_open_) {
          manual_open_ = false;
          co_await finish_utterance(Clock::now());
        }
      } else {
        drop_utterance();
        if (vad_) vad_->reset();
        manual_open_ = false;
      }
    } catch (const std::exception& e) {
      // A failed engine call costs this utterance, never the session.
      log_.error("listener: {}", e.what());
      drop_utterance();
      if (events_.failed) events_.failed(e.what());
    }
  }
  worker_done_.set();
}

asio::awaitable<void> Listener::on_pcm(Pcm frame) {
  auto& pcm = frame.samples;
  const std::size_t n = pcm.size();
  if (mode_ == Mode::manual) {
    if (!manual_open_) co_return;  // the firmware's mic is off outside listen start..stop
    if (!asr_ && !asr_failed_) {
      asr_ = co_await asr_engine_.open();
      if (events_.partial) asr_->on_partial(events_.partial);
    }
    if (settings_.keep_opus) utterance_opus_.push_back(std::move(frame.opus));
    if (asr_) co_await asr_->push(std::move(pcm));
    speech_samples_ += n;
    if (speech_samples_ >= samples_for(settings_.max_utterance)) {
      // The button held down (or a device that never sends listen stop): the ASR's
      // buffer must not grow without end. The rest until the next listen start is ignored.
      log_.info("push-to-talk utterance longer than {} ms: recognising what we have", settings_.max_utterance.count());
      manual_open_ = false;
      co_await finish_utterance(Clock::now());
    }
    co_return;
  }

  if (!vad_) vad_ = vad_engine_.open();
  auto events = co_await vad_->push(pcm);
  bool started = false, ended = false;
  for (const auto& e : events) {
    if (e.kind == providers::VadEvent::Kind::speech_start) started = true;
    if (e.kind == providers::VadEvent::Kind::speech_end) ended = true;
  }
  const bool speculating = static_cast<bool>(events_.speculative);
  if (started && !asr_) {
    speech_samples_ = 0;
    asr_failed_ = false;
    if (events_.speech_started) events_.speech_started();
    asr_ = co_await asr_engine_.open();
    ++utterance_id_;
    // The VAD hears the partials too: they decide how much silence ends this turn.
    asr_->on_partial([this, id = utterance_id_](const std::string& text) { on_partial(id, text); });
    utterance_opus_.clear();
    utterance_pcm_.clear();
    speculations_ = 0;
    for (auto& f : pre_roll_) {
      if (settings_.keep_opus) utterance_opus_.push_back(std::move(f.opus));
      if (speculating) utterance_pcm_.insert(utterance_pcm_.end(), f.samples.begin(), f.samples.end());
      co_await asr_->push(std::move(f.samples));
    }
    pre_roll_.clear();
    pre_roll_samples_ = 0;
  }
  if (asr_) {
    if (settings_.keep_opus) utterance_opus_.push_back(std::move(frame.opus));
    // Bounded like the utterance itself (max_utterance, then it is cut).
    if (speculating) utterance_pcm_.insert(utterance_pcm_.end(), pcm.begin(), pcm.end());
    co_await asr_->push(std::move(pcm));
    speech_samples_ += n;
    if (ended) {
      co_await finish_utterance(Clock::now());
    } else if (speech_samples_ >= samples_for(settings_.max_utterance)) {
      log_.info("utterance longer than {} ms: recognising what we have", settings_.max_utterance.count());
      vad_->reset();
      drop_speculation();  // it heard less than the cut utterance
      co_await finish_utterance(Clock::now());
    } else {
      for (const auto& e : events) {
        if (e.kind == providers::VadEvent::Kind::pause) start_speculation();
        if (e.kind == providers::VadEvent::Kind::resume) drop_speculation();
      }
    }
    co_return;
  }
  pre_roll_.push_back({std::move(pcm), std::move(frame.opus)});
  pre_roll_samples_ += n;
  while (pre_roll_samples_ > samples_for(settings_.pre_roll) && !pre_roll_.empty()) {
    pre_roll_samples_ -= pre_roll_.front().samples.size();
    pre_roll_.pop_front();
  }
}

asio::awaitable<void> Listener::finish_utterance(Clock::time_point end_of_speech) {
  auto stream = std::move(asr_);
  auto opus = std::move(utterance_opus_);
  utterance_opus_.clear();
  utterance_pcm_.clear();
  const auto speech = std::chrono::milliseconds(speech_samples_ * 1000 / kRate);
  speech_samples_ = 0;
  auto spec = std::move(speculation_);
  speculation_ = nullptr;
  if (!stream || speech < settings_.min_utterance) {
    if (spec) {
      speculation_ = std::move(spec);
      drop_speculation();
    }
    if (stream) log_.debug("ignoring a {} ms utterance (minimum {} ms)", speech.count(), settings_.min_utterance.count());
    co_return;
  }
  if (spec && spec->reported) {
    // Nothing was said since the pause: its transcript heard the whole utterance.
    stream.reset();
    Utterance u{spec->text,     end_of_speech, Clock::now(), speech, std::move(opus),
                spec->language, spec->emotion, true};
    log_.info("heard \"{}\" ({} ms of speech, speculative transcript)", u.text, speech.count());
    if (events_.utterance) events_.utterance(std::move(u));
    co_return;
  }
  if (spec) {
    // Still transcribing (a local engine decodes the whole utterance again; on a busy
    // machine that can take longer than the real stream's finish): never wait for it.
    speculation_ = std::move(spec);
    drop_speculation();
  }
  auto result = co_await stream->finish();
  stream.reset();  // returns a pooled decoder at once
  Utterance u{std::move(result.text), end_of_speech,           Clock::now(), speech, std::move(opus),
              std::move(result.language), std::move(result.emotion)};
  log_.info("heard \"{}\" ({} ms of speech, ASR final {} ms after end of speech)", u.text, speech.count(),
            std::chrono::duration_cast<std::chrono::milliseconds>(u.asr_final - u.end_of_speech).count());
  if (u.text.find_first_not_of(" \t\r\n") == std::string::npos) co_return;
  if (events_.utterance) events_.utterance(std::move(u));
}

void Listener::start_speculation() {
  // Without a taker a speculative transcript would be an ASR call for nothing.
  if (!events_.speculative || speculation_ || speculations_ >= settings_.max_speculations_per_utterance) return;
  if (speech_samples_ < samples_for(settings_.min_utterance)) return;
  ++speculations_;
  auto spec = std::make_shared<Speculation>(ex_);
  speculation_ = spec;
  // Not cancellable: a dropped one finishes its one ASR call unheard (close() waits).
  asio::co_spawn(ex_, speculate(spec, utterance_pcm_), [spec](std::exception_ptr) { spec->done.set(); });
}

void Listener::drop_speculation() {
  if (!speculation_) return;
  auto spec = std::move(speculation_);
  speculation_ = nullptr;
  spec->dropped = true;
  std::erase_if(dropped_speculations_, [](const auto& s) { return s->done.is_set(); });
  if (!spec->done.is_set()) dropped_speculations_.push_back(spec);
  if (spec->reported && events_.speculation_dropped) events_.speculation_dropped();
}

asio::awaitable<void> Listener::speculate(std::shared_ptr<Speculation> spec, std::vector<std::int16_t> pcm) {
  try {
    auto stream = co_await asr_engine_.open();
    if (spec->dropped) co_return;
    co_await stream->push(std::move(pcm));
    if (spec->dropped) co_return;
    auto result = co_await stream->finish();
    if (spec->dropped || closing_) co_return;
    if (result.text.find_first_not_of(" \t\r\n") == std::string::npos) co_return;
    spec->text = std::move(result.text);
    spec->language = std::move(result.language);
    spec->emotion = std::move(result.emotion);
    spec->reported = true;
    log_.debug("speculative transcript at a pause: \"{}\"", spec->text);
    if (events_.speculative) events_.speculative(providers::AsrResult{spec->text, spec->language, spec->emotion, {}});
  } catch (const std::exception& e) {
    // The real stream still hears everything: a failed speculation costs nothing more.
    log_.debug("speculative transcript failed: {}", e.what());
  }
}

void Listener::on_partial(std::uint64_t utterance, const std::string& text) {
  // A stream still finishing the previous utterance says nothing about this one.
  if (utterance != utterance_id_) return;
  if (vad_ && mode_ == Mode::vad) vad_->hear_partial(text);
  if (events_.partial) events_.partial(text);
}

void Listener::drop_utterance() {
  drop_speculation();
  utterance_pcm_.clear();
  asr_.reset();
  utterance_opus_.clear();
  pre_roll_.clear();
  pre_roll_samples_ = 0;
  speech_samples_ = 0;
}

}  // namespace xz::pipeline
