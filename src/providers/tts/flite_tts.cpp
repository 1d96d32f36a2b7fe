#include "providers/tts/flite_tts.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

extern "C" {
#include <flite/flite.h>
cst_voice* register_cmu_us_slt(const char* voxdir);
}

namespace xz::providers {

namespace {

namespace asio = boost::asio;

constexpr int kChunkSamples = FliteTts::kSampleRate / 10;  // 100 ms
constexpr auto kMaxSamples = static_cast<std::size_t>(FliteTts::kMaxAudioSeconds * FliteTts::kSampleRate);
// Every chunk but the last holds >= kChunkSamples, so this many never fill up: the
// worker never waits for the consumer.
constexpr std::size_t kQueueCapacity = kMaxSamples / kChunkSamples + 8;

// flite keeps registered voices in globals of the voice library; registering is not
// thread-safe, synthesis with the registered voice is. Done once, on first use.
cst_voice* slt_voice() {
  static cst_voice* voice = [] {
    flite_init();
    return register_cmu_us_slt(nullptr);
  }();
  return voice;
}

bool is_slt(const std::string& name) { return name == "slt" || name == "cmu_us_slt"; }

bool is_blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

struct Piece {
  enum Kind { kAudio, kEnd, kError } kind = kEnd;
  std::vector<std::int16_t> samples;
  int sample_rate = FliteTts::kSampleRate;
  std::string error;
};

using PieceChannel = asio::experimental::concurrent_channel<void(boost::system::error_code, Piece)>;

// One synthesis, shared by the pool worker (producer) and the awaiting coroutine.
struct Job {
  Job(asio::any_io_executor ex, std::string text) : channel(std::move(ex), kQueueCapacity), text(std::move(text)) {}
  PieceChannel channel;
  const std::string text;
  std::atomic<bool> stop{false};  // set by the coroutine when nobody listens any more
  // Worker-only state.
  std::size_t delivered = 0;  // wave samples already sent
  bool overflow = false;
};

void send(Job& job, Piece piece) {
  if (!job.channel.try_send(boost::system::error_code{}, std::move(piece))) job.stop = true;
}

void send_audio(Job& job, const cst_wave* w, std::size_t from, std::size_t to) {
  Piece piece{Piece::kAudio, std::vector<std::int16_t>(w->samples + from, w->samples + to), w->sample_rate, {}};
  send(job, std::move(piece));
  job.delivered = to;
}

// flite's streaming callback, on the worker thread, as the vocoder produces audio.
int on_audio(const cst_wave* w, int start, int size, int /*last*/, cst_audio_streaming_info* asi) {
  auto& job = *static_cast<Job*>(asi->userdata);
  if (job.stop) return CST_AUDIO_STREAM_STOP;
  if (size <= 0) return CST_AUDIO_STREAM_CONT;
  auto end = static_cast<std::size_t>(start) + static_cast<std::size_t>(size);
  if (end > kMaxSamples) {
    job.overflow = true;
    return CST_AUDIO_STREAM_STOP;
  }
  send_audio(job, w, static_cast<std::size_t>(start), end);
  return job.stop ? CST_AUDIO_STREAM_STOP : CST_AUDIO_STREAM_CONT;
}

struct DeleteUtterance {
  void operator()(cst_utterance* u) const { delete_utterance(u); }
};
using UtterancePtr = std::unique_ptr<cst_utterance, DeleteUtterance>;

void synthesize_on_worker(Job& job, cst_voice* voice) {
  UtterancePtr utt(new_utterance());
  utt_set_input_text(utt.get(), job.text.c_str());
  // Per utterance, not on the shared voice: concurrent syntheses must not see each other's.
  cst_audio_streaming_info* asi = new_audio_streaming_info();
  asi->min_buffsize = kChunkSamples;
  asi->asc = &on_audio;
  asi->userdata = &job;
  feat_set(utt->features, "streaming_info", audio_streaming_info_val(asi));  // the utterance owns asi
  // flite_do_synth deletes the utterance itself when synthesis fails.
  utt.reset(flite_do_synth(utt.release(), voice, utt_synth));
  if (job.stop) return;
  if (job.overflow)
    return send(job, {Piece::kError, {}, 0, fmt::format("flite: more than {} s of audio", FliteTts::kMaxAudioSeconds)});
  if (!utt) return send(job, {Piece::kError, {}, 0, "flite: synthesis failed"});
  // A voice without streaming support, or a tail the callback did not report.
  if (const cst_wave* w = utt_wave(utt.get()); w && static_cast<std::size_t>(w->num_samples) > job.delivered) {
    auto total = std::min(static_cast<std::size_t>(w->num_samples), kMaxSamples);
    while (job.delivered < total && !job.stop)
      send_audio(job, w, job.delivered, std::min(total, job.delivered + static_cast<std::size_t>(kChunkSamples)));
  }
  send(job, {Piece::kEnd, {}, 0, {}});
}

// Tells the worker to stop when the coroutine leaves for any reason.
struct StopOnExit {
  Job& job;
  ~StopOnExit() { job.stop = true; }
};

}  // namespace

FliteTts::FliteTts(const EngineConfig& cfg, ProviderContext& ctx) : pool_(ctx.pool), voice_(nullptr) {
  std::string voice = "slt";
  if (cfg.is_object() && cfg.contains("voice")) {
    if (!cfg["voice"].is_string()) throw EngineConfigError("voice: expected a string");
    voice = cfg["voice"].get<std::string>();
  }
  if (!is_slt(voice))
    throw EngineConfigError(fmt::format("voice: '{}' is not built in (available: slt)", voice));
  voice_ = slt_voice();
  if (!voice_) throw EngineConfigError("voice: flite could not register slt");
}

asio::awaitable<void> FliteTts::synthesize(TtsRequest req, PcmSink sink) {
  if (!req.voice.empty() && !is_slt(req.voice))
    throw std::runtime_error(fmt::format("flite: voice '{}' is not built in (available: slt)", req.voice));
  if (is_blank(req.text)) co_return;
  auto job = std::make_shared<Job>(co_await asio::this_coro::executor, std::move(req.text));
  asio::post(pool_, [job, voice = voice_] {
    try {
      synthesize_on_worker(*job, voice);
    } catch (const std::exception& e) {
      send(*job, {Piece::kError, {}, 0, fmt::format("flite: {}", e.what())});
    }
  });
  StopOnExit stop_on_exit{*job};
  for (;;) {
    auto [ec, piece] = co_await job->channel.async_receive(asio::as_tuple(asio::use_awaitable));
    // The channel reports cancellation as channel_cancelled; callers expect the usual code.
    if (ec) throw boost::system::system_error(asio::error::operation_aborted, "flite: cancelled");
    switch (piece.kind) {
      case Piece::kEnd:
        co_return;
      case Piece::kError:
        throw std::runtime_error(piece.error);
      case Piece::kAudio: {
        // Named, not a temporary inside co_await: g++ 12 may destroy that twice.
        PcmChunk chunk{std::move(piece.samples), piece.sample_rate};
        if (!co_await sink(std::move(chunk))) co_return;
        break;
      }
    }
  }
}

}  // namespace xz::providers
