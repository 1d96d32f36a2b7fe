#pragma once
// The hearing side of a session: uplink Opus -> 16 kHz PCM -> VAD -> streaming ASR.
// Frames are decoded on arrival and processed in order by one coroutine; recognition
// runs while the user speaks, so the text is ready right after end of speech. Keeps
// 600 ms of audio before speech onset (the VAD decides a little late).
// Bounded against a hostile device: uplink audio beyond max_uplink_speed x real time is
// dropped before decoding, listen messages waiting for the worker are capped, and an
// utterance is cut at max_utterance in push-to-talk mode as in auto mode.
// Speculation (auto mode, a VAD reporting pauses, events.speculative set): at a pause the
// utterance so far is transcribed by a second ASR stream while the first keeps hearing;
// if the endpoint follows with no voice in between, that transcript is the utterance.
// Adaptive end of turn (a streaming ASR): each partial transcript goes to the VAD, whose
// turn-end policy sets the silence that ends this utterance; batch engines send none.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "audio/opus_decoder.h"
#include "core/async.h"
#include "core/lazy_deque.h"
#include "core/log.h"
#include "core/token_bucket.h"
#include "providers/asr/asr.h"
#include "providers/vad/vad.h"

namespace xz::pipeline {

using Clock = std::chrono::steady_clock;

struct ListenerSettings {
  std::chrono::milliseconds pre_roll{600};
  std::chrono::milliseconds min_utterance{300};  // shorter speech is ignored
  std::chrono::milliseconds max_utterance{60000};  // longer speech is cut and recognised
  std::size_t max_queued_frames = 100;            // ~6 s behind: overload, drop
  std::size_t max_queued_controls = 16;           // listen start/stop/detect waiting: more are dropped
  // Uplink audio accepted, in frame duration per second of wall time, averaged over the
  // window (a burst of max_uplink_speed x window passes, e.g. after a network stall).
  double max_uplink_speed = 2.0;
  std::chrono::milliseconds uplink_speed_window{2000};
  bool keep_opus = false;  // hand the utterance's uplink packets over (chat history audio)
  // Speculative transcripts per utterance (one per pause at most): each costs an ASR call.
  int max_speculations_per_utterance = 3;
};

struct Utterance {
  std::string text;
  Clock::time_point end_of_speech;  // VAD speech end, or listen stop in manual mode
  Clock::time_point asr_final;
  std::chrono::milliseconds speech{0};
  std::vector<std::string> opus;  // its uplink packets, pre-roll included (keep_opus only)
  // What the engine heard besides the words, when it says (SenseVoice): "zh", "HAPPY".
  std::string language;
  std::string emotion;
  // The text is the speculative transcript given at the last pause (nothing was said
  // after it); the second ASR stream was dropped.
  bool speculative = false;
};

// What the listener dropped: an uplink frame past max_uplink_speed, one it could not
// keep up with, or a listen message past max_queued_controls.
enum class ListenerDrop { over_speed, overload, listen_message };

struct ListenerEvents {
  std::function<void()> speech_started;              // VAD onset
  std::function<void(Utterance)> utterance;          // a recognised, long-enough utterance
  std::function<void(std::string reason)> failed;    // ASR errors (logged; the session goes on)
  std::function<void(ListenerDrop)> dropped;
  // A streaming ASR's partial transcript of the utterance in progress. Optional.
  std::function<void(const std::string& text)> partial;
  // Speculation: the transcript of the utterance up to a pause (a reply may start on it,
  // unseen). Optional: without it the listener does not speculate.
  std::function<void(const providers::AsrResult& heard)> speculative;
  // The last `speculative` transcript is void: voice again, or the utterance dropped.
  std::function<void()> speculation_dropped;
};

class Listener {
 public:
  enum class Mode { vad, manual };  // vad: auto/realtime; manual: push-to-talk

  Listener(boost::asio::any_io_executor ex, ListenerSettings settings, providers::VadEngine& vad,
           providers::AsrEngine& asr, const core::SessionLog& log, ListenerEvents events);
  ~Listener();

  void push_opus(std::string_view opus);
  // listen start: a new utterance begins (drops any partial one).
  void start(Mode mode);
  // listen stop: in manual mode, the utterance ends now.
  void stop();
  // Forget buffered audio and any utterance in progress (wake word, abort).
  void reset();
  // Ends the worker; awaits the utterance in progress being dropped.
  boost::asio::awaitable<void> close();

  bool in_speech() const;
  std::size_t queued_frames() const { return frames_queued_; }
  std::uint64_t dropped_frames() const { return dropped_; }
  std::uint64_t over_speed_frames() const { return over_speed_; }

 private:
  struct Pcm {
    std::vector<std::int16_t> samples;
    std::string opus;  // the packet it came from (keep_opus only)
  };
  struct Start {
    Mode mode;
  };
  struct Stop {};
  struct Reset {};
  using Item = std::variant<Pcm, Start, Stop, Reset>;

  void enqueue(Item item);
  // Counts a dropped uplink frame or listen message; true when it is worth a log line
  // (the first, then at most one every 10 s).
  static bool count_drop(std::uint64_t& count, Clock::time_point& logged);
  boost::asio::awaitable<void> worker();
  boost::asio::awaitable<void> on_pcm(Pcm frame);
  boost::asio::awaitable<void> finish_utterance(Clock::time_point end_of_speech);
  void drop_utterance();
  // The ASR stream of `utterance` reported a partial transcript.
  void on_partial(std::uint64_t utterance, const std::string& text);
  struct Speculation {
    explicit Speculation(boost::asio::any_io_executor ex) : done(std::move(ex)) {}
    core::Event done;
    std::string text;
    std::string language, emotion;  // as the engine heard them
    bool dropped = false;
    bool reported = false;  // events_.speculative had its text
  };
  void start_speculation();
  void drop_speculation();
  boost::asio::awaitable<void> speculate(std::shared_ptr<Speculation> spec, std::vector<std::int16_t> pcm);

  boost::asio::any_io_executor ex_;
  ListenerSettings settings_;
  providers::AsrEngine& asr_engine_;
  const core::SessionLog& log_;
  ListenerEvents events_;
  // Made on the first packet: a connected device that never talks costs neither.
  std::optional<audio::OpusDecoder> decoder_;
  providers::VadEngine& vad_engine_;
  std::unique_ptr<providers::VadStream> vad_;
  std::unique_ptr<providers::AsrStream> asr_;

  core::LazyDeque<Item> queue_;
  std::size_t frames_queued_ = 0;
  std::size_t controls_queued_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t over_speed_ = 0;
  std::uint64_t controls_dropped_ = 0;
  Clock::time_point overload_logged_{}, over_speed_logged_{}, controls_logged_{};
  boost::asio::steady_timer wake_;
  bool closing_ = false;
  core::Event worker_done_;
  core::TokenBucket uplink_budget_;  // in milliseconds of audio

  Mode mode_ = Mode::vad;
  bool manual_open_ = false;  // manual mode between start and stop
  core::LazyDeque<Pcm> pre_roll_;  // audio before the VAD's onset
  std::vector<std::string> utterance_opus_;  // keep_opus: the packets of the utterance so far
  std::size_t pre_roll_samples_ = 0;
  std::size_t speech_samples_ = 0;
  bool asr_failed_ = false;
  std::vector<std::int16_t> utterance_pcm_;  // speculation only: the utterance so far
  std::shared_ptr<Speculation> speculation_;  // of the current pause
  std::vector<std::shared_ptr<Speculation>> dropped_speculations_;  // still running: close() waits
  int speculations_ = 0;  // in this utterance
  std::uint64_t utterance_id_ = 0;  // bumped per VAD-mode ASR stream: tells its partials apart
};

}  // namespace xz::pipeline
