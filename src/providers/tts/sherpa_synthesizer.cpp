#include "providers/tts/sherpa_synthesizer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/async.h"
#include "core/metrics.h"
#include "providers/asr/onnx_metadata.h"
#include "providers/asr/sherpa_onnx_c_api.h"
#include "providers/tts/sherpa_tts_checks.h"

namespace xz::providers {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxTokensBytes = 16 << 20;
constexpr std::size_t kMaxPieces = 4096;  // sentences of one text in flight to the session

// One sentence's PCM, or the end of the text (with the error, if any).
struct Piece {
  std::vector<std::int16_t> pcm;
  bool last = false;
  std::string error;
};
using Pieces = core::ConcurrentChannel<Piece>;

struct Job {
  std::string text;
  int sid = 0;
  float speed = 1;
  std::shared_ptr<Pieces> out;
  std::atomic<bool> stop{false};  // the session is gone or said stop
  std::uint64_t samples = 0;      // worker only
  std::uint64_t chunks = 0;
  std::uint64_t max_samples = 0;
  std::string error;  // worker only
};

struct TtsDeleter {
  void operator()(const SherpaOnnxOfflineTts* t) const { SherpaOnnxDestroyOfflineTts(t); }
};
struct AudioDeleter {
  void operator()(const SherpaOnnxGeneratedAudio* a) const { SherpaOnnxDestroyOfflineTtsGeneratedAudio(a); }
};

std::string_view or_empty(const char* s) { return s ? std::string_view(s) : std::string_view(); }

void require_file(const std::string& path, const char* what) {
  std::error_code ec;
  if (path.empty()) throw std::runtime_error(fmt::format("no {} file given", what));
  if (!std::filesystem::is_regular_file(path, ec)) throw std::runtime_error(fmt::format("{} {}: no such file", what, path));
}

void require_dir(const std::string& path, const char* what) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) throw std::runtime_error(fmt::format("{} {}: no such directory", what, path));
}

// Each comma-separated file exists.
void require_files(const std::string& list, const char* what) {
  std::string_view rest = list;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    require_file(std::string(rest.substr(0, comma)), what);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
}

void check_tokens(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  text.resize(kMaxTokensBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxTokensBytes) throw std::runtime_error(fmt::format("tokens {}: larger than 16 MiB", path));
  if (auto why = sherpa_tts::tokens_problem(text))
    throw std::runtime_error(fmt::format("tokens {}: {} (sherpa-onnx would end the process on it)", path, *why));
}

// What sherpa-onnx would otherwise end the process on, checked first.
void check_files(const SherpaTtsModel& m) {
  require_file(m.model, m.type == SherpaTtsModel::Type::matcha ? "acoustic model" : "model");
  require_file(m.tokens, "tokens");
  check_tokens(m.tokens);
  if (!m.lexicon.empty()) require_files(m.lexicon, "lexicon");
  if (!m.rule_fsts.empty()) require_files(m.rule_fsts, "rule FST");
  if (!m.data_dir.empty()) require_dir(m.data_dir, "data_dir (espeak-ng-data)");
  if (!m.dict_dir.empty()) require_dir(m.dict_dir, "dict_dir");
  switch (m.type) {
    case SherpaTtsModel::Type::vits: {
      sherpa_tts::VitsFiles files{!m.lexicon.empty(), !m.data_dir.empty(), !m.dict_dir.empty()};
      try {
        sherpa_tts::check_vits(read_onnx_metadata_file(m.model), files);
      } catch (const std::runtime_error& e) {
        throw std::runtime_error(fmt::format("VITS model {} {}", m.model, e.what()));
      }
      break;
    }
    case SherpaTtsModel::Type::matcha:
      require_file(m.vocoder, "vocoder");
      if (m.lexicon.empty() && m.data_dir.empty())
        throw std::runtime_error(fmt::format("Matcha model {} needs a lexicon or espeak-ng-data", m.model));
      break;
    case SherpaTtsModel::Type::kokoro:
      require_file(m.voices, "voices");
      if (m.data_dir.empty()) throw std::runtime_error(fmt::format("Kokoro model {} needs espeak-ng-data", m.model));
      break;
  }
}

std::int16_t to_pcm(float v) {
  if (!(v == v)) return 0;  // NaN
  return static_cast<std::int16_t>(std::lround(std::clamp(v, -1.0f, 1.0f) * 32767.0f));
}

}  // namespace

class SherpaSynthesizer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(const SherpaTtsModel& m, asio::thread_pool& workers, core::Metrics* metrics) : model_(m), workers_(workers) {
    if (metrics) {
      reported_texts_ = &metrics->counter("xiaozhi_tts_local_texts_total", "Texts synthesized by local TTS models");
      reported_samples_ =
          &metrics->counter("xiaozhi_tts_local_samples_total", "Samples synthesized by local TTS models");
    }
    const std::string_view version = or_empty(SherpaOnnxGetVersionStr());
    if (version != sherpa_abi::kVersion) {
      throw std::runtime_error(fmt::format(
          "sherpa-onnx library {} found, but this server is built for {} (scripts/fetch_assets.sh pins it)", version,
          sherpa_abi::kVersion));
    }
    check_files(model_);

    SherpaOnnxOfflineTtsConfig c{};
    c.model.num_threads = std::max(1, model_.num_threads);
    c.model.debug = 0;
    c.model.provider = "cpu";
    switch (model_.type) {
      case SherpaTtsModel::Type::vits:
        c.model.vits.model = model_.model.c_str();
        c.model.vits.lexicon = model_.lexicon.c_str();
        c.model.vits.tokens = model_.tokens.c_str();
        c.model.vits.data_dir = model_.data_dir.c_str();
        c.model.vits.dict_dir = model_.dict_dir.c_str();
        c.model.vits.noise_scale = 0.667f;  // sherpa-onnx's defaults
        c.model.vits.noise_scale_w = 0.8f;
        c.model.vits.length_scale = 1.0f;
        break;
      case SherpaTtsModel::Type::matcha:
        c.model.matcha.acoustic_model = model_.model.c_str();
        c.model.matcha.vocoder = model_.vocoder.c_str();
        c.model.matcha.lexicon = model_.lexicon.c_str();
        c.model.matcha.tokens = model_.tokens.c_str();
        c.model.matcha.data_dir = model_.data_dir.c_str();
        c.model.matcha.dict_dir = model_.dict_dir.c_str();
        c.model.matcha.noise_scale = 0.667f;
        c.model.matcha.length_scale = 1.0f;
        break;
      case SherpaTtsModel::Type::kokoro:
        c.model.kokoro.model = model_.model.c_str();
        c.model.kokoro.voices = model_.voices.c_str();
        c.model.kokoro.tokens = model_.tokens.c_str();
        c.model.kokoro.data_dir = model_.data_dir.c_str();
        c.model.kokoro.dict_dir = model_.dict_dir.c_str();
        c.model.kokoro.lexicon = model_.lexicon.c_str();
        c.model.kokoro.lang = model_.lang.c_str();
        c.model.kokoro.length_scale = 1.0f;
        break;
    }
    c.rule_fsts = model_.rule_fsts.c_str();
    c.max_num_sentences = 1;  // one sentence per model run: its audio leaves at once
    c.silence_scale = 1.0f;   // the model's own pauses, untouched
    const auto t0 = std::chrono::steady_clock::now();
    try {
      tts_.reset(SherpaOnnxCreateOfflineTts(&c));
    } catch (const std::exception& e) {  // ONNX Runtime's errors come through as exceptions
      throw std::runtime_error(fmt::format("sherpa-onnx cannot load {}: {}", model_.model, e.what()));
    }
    if (!tts_) {
      throw std::runtime_error(fmt::format("sherpa-onnx refused the model {} (its own log above says why)", model_.model));
    }
    sample_rate_ = SherpaOnnxOfflineTtsSampleRate(tts_.get());
    num_speakers_ = SherpaOnnxOfflineTtsNumSpeakers(tts_.get());
    if (sample_rate_ < 1000 || sample_rate_ > 384000)
      throw std::runtime_error(fmt::format("model {}: sample rate {}", model_.model, sample_rate_));
    spdlog::info("sherpa-onnx {} TTS: {} loaded in {} ms ({} Hz, {} speakers)", version, model_.model,
                 std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count(),
                 sample_rate_, num_speakers_);
  }

  int sample_rate() const { return sample_rate_; }
  int num_speakers() const { return num_speakers_; }

  void submit(std::shared_ptr<Job> job) {
    job->max_samples = static_cast<std::uint64_t>(model_.max_seconds * sample_rate_);
    std::lock_guard lk(mu_);
    if (waiting_.size() >= model_.max_waiting)
      throw std::runtime_error(fmt::format("sherpa-onnx TTS: {} texts already waiting", waiting_.size()));
    waiting_.push_back(std::move(job));
    if (draining_) return;
    draining_ = true;
    asio::post(workers_, [self = shared_from_this()] { self->drain(); });
  }

  Stats stats() const {
    return {texts_.load(std::memory_order_relaxed), samples_.load(std::memory_order_relaxed),
            chunks_.load(std::memory_order_relaxed)};
  }

 private:
  // On a worker: one text at a time until none waits.
  void drain() {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::lock_guard lk(mu_);
        if (waiting_.empty()) {
          draining_ = false;
          return;
        }
        job = std::move(waiting_.front());
        waiting_.pop_front();
      }
      if (!job->stop.load()) generate(*job);
      Piece end;
      end.last = true;
      end.error = std::move(job->error);
      job->out->try_send(core::error_code{}, std::move(end));
    }
  }

  static int32_t on_audio(const float* samples, int32_t n, void* arg) {
    auto& job = *static_cast<Job*>(arg);
    if (job.stop.load()) return 0;
    if (n <= 0) return 1;
    job.samples += static_cast<std::uint64_t>(n);
    ++job.chunks;
    if (job.samples > job.max_samples) {
      job.error = "sherpa-onnx TTS: more audio than max_seconds allows";
      return 0;
    }
    Piece p;
    p.pcm.resize(static_cast<std::size_t>(n));
    std::transform(samples, samples + n, p.pcm.begin(), to_pcm);
    if (!job.out->try_send(core::error_code{}, std::move(p))) {
      job.error = "sherpa-onnx TTS: the session takes no more audio";
      return 0;
    }
    return 1;
  }

  void generate(Job& job) {
    try {
      std::unique_ptr<const SherpaOnnxGeneratedAudio, AudioDeleter> all(SherpaOnnxOfflineTtsGenerateWithCallbackWithArg(
          tts_.get(), job.text.c_str(), job.sid, job.speed, &Impl::on_audio, &job));
      if (!all && job.error.empty() && !job.stop.load()) job.error = "sherpa-onnx TTS: synthesis failed";
    } catch (const std::exception& e) {
      job.error = fmt::format("sherpa-onnx TTS: {}", e.what());
    } catch (...) {
      job.error = "sherpa-onnx TTS: unknown error";
    }
    texts_.fetch_add(1, std::memory_order_relaxed);
    samples_.fetch_add(job.samples, std::memory_order_relaxed);
    chunks_.fetch_add(job.chunks, std::memory_order_relaxed);
    if (reported_texts_) {
      reported_texts_->inc();
      reported_samples_->inc(job.samples);
    }
  }

  SherpaTtsModel model_;
  asio::thread_pool& workers_;
  std::unique_ptr<const SherpaOnnxOfflineTts, TtsDeleter> tts_;
  int sample_rate_ = 0;
  int num_speakers_ = 0;

  std::mutex mu_;
  std::deque<std::shared_ptr<Job>> waiting_;
  bool draining_ = false;

  std::atomic<std::uint64_t> texts_{0}, samples_{0}, chunks_{0};
  core::Counter* reported_texts_ = nullptr;
  core::Counter* reported_samples_ = nullptr;
};

SherpaSynthesizer::SherpaSynthesizer(const SherpaTtsModel& model, asio::thread_pool& workers, core::Metrics* metrics)
    : impl_(std::make_shared<Impl>(model, workers, metrics)) {}

SherpaSynthesizer::~SherpaSynthesizer() = default;

int SherpaSynthesizer::sample_rate() const { return impl_->sample_rate(); }
int SherpaSynthesizer::num_speakers() const { return impl_->num_speakers(); }
SherpaSynthesizer::Stats SherpaSynthesizer::stats() const { return impl_->stats(); }

asio::awaitable<void> SherpaSynthesizer::speak(std::string text, int sid, float speed, PcmSink& sink) {
  auto impl = impl_;  // in-flight work keeps the model, whatever happens to this object
  auto job = std::make_shared<Job>();
  job->text = std::move(text);
  job->sid = sid;
  job->speed = speed;
  job->out = std::make_shared<Pieces>(co_await asio::this_coro::executor, kMaxPieces);
  // However this coroutine ends (done, stopped, cancelled), the worker stops at the next sentence.
  struct StopOnExit {
    Job& job;
    ~StopOnExit() { job.stop.store(true); }
  } stop_on_exit{*job};
  impl->submit(job);
  const int rate = impl->sample_rate();
  for (;;) {
    // Named values, no temporaries in the co_await expressions: g++ 12 destroys those twice.
    auto received = co_await job->out->async_receive(asio::as_tuple(asio::use_awaitable));
    auto& [ec, piece] = received;
    if (ec) throw boost::system::system_error(ec, "sherpa-onnx TTS: waiting for audio");
    if (piece.last) {
      if (!piece.error.empty()) throw std::runtime_error(piece.error);
      co_return;
    }
    PcmChunk chunk{std::move(piece.pcm), rate};
    const bool more = co_await sink(std::move(chunk));
    if (!more) co_return;
  }
}

}  // namespace xz::providers
