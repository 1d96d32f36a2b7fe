#include "providers/asr/sherpa_recognizer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <charconv>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/async.h"
#include "core/metrics.h"
#include "providers/asr/onnx_metadata.h"
#include "providers/asr/sense_voice_tags.h"
#include "providers/asr/sherpa_onnx_c_api.h"

namespace xz::providers {

namespace asio = boost::asio;

namespace {

constexpr int kRate = 16000;

struct Outcome {
  AsrResult result;
  std::string error;  // empty when the decode worked
};
using Done = core::ConcurrentChannel<Outcome>;

struct Job {
  std::vector<std::int16_t> pcm;
  std::shared_ptr<Done> done;
};

struct RecognizerDeleter {
  void operator()(const SherpaOnnxOfflineRecognizer* r) const { SherpaOnnxDestroyOfflineRecognizer(r); }
};
struct StreamDeleter {
  void operator()(const SherpaOnnxOfflineStream* s) const { SherpaOnnxDestroyOfflineStream(s); }
};
struct ResultDeleter {
  void operator()(const SherpaOnnxOfflineRecognizerResult* r) const { SherpaOnnxDestroyOfflineRecognizerResult(r); }
};
using StreamPtr = std::unique_ptr<const SherpaOnnxOfflineStream, StreamDeleter>;
using ResultPtr = std::unique_ptr<const SherpaOnnxOfflineRecognizerResult, ResultDeleter>;

std::string_view or_empty(const char* s) { return s ? std::string_view(s) : std::string_view(); }

AsrResult to_result(const SherpaOnnxOfflineRecognizerResult& r) {
  // sherpa-onnx hands SenseVoice's tags back as fields; a tag left in the text (another
  // export) is parsed out of it the same way.
  auto split = split_sense_voice_tags(or_empty(r.text));
  auto field = [&](const char* value, std::size_t tag_index) {
    if (auto v = tag_name(or_empty(value)); !v.empty()) return v;
    return tag_index < split.tags.size() ? split.tags[tag_index] : std::string();
  };
  AsrResult out;
  out.language = field(r.lang, 0);
  out.emotion = field(r.emotion, 1);
  out.event = field(r.event, 2);
  out.text = std::move(split.text);
  return out;
}

// sherpa-onnx reads these from the model and ends the whole process when one is missing
// or malformed (SHERPA_ONNX_EXIT), so a bad model is refused here with an error instead.
void check_metadata(const SherpaModel& m) {
  const auto meta = read_onnx_metadata_file(m.model);
  auto missing = [&](const char* key) {
    return std::runtime_error(fmt::format("model {} lacks the metadata '{}' sherpa-onnx needs (is it a sherpa-onnx {} "
                                          "export?)",
                                          m.model, key, m.type == SherpaModel::Type::sense_voice ? "SenseVoice"
                                                                                                  : "Paraformer"));
  };
  auto integer = [&](const char* key) {
    auto it = meta.find(key);
    if (it == meta.end()) throw missing(key);
    int v = -1;
    const auto* end = it->second.data() + it->second.size();
    auto [p, ec] = std::from_chars(it->second.data(), end, v);
    if (ec != std::errc() || p != end || v < 0) {
      throw std::runtime_error(fmt::format("model {}: metadata '{}' is not a whole number >= 0: '{}'", m.model, key,
                                           it->second.substr(0, 40)));
    }
    return v;
  };
  auto floats = [&](const char* key, std::size_t count) {
    auto it = meta.find(key);
    if (it == meta.end()) throw missing(key);
    std::size_t n = 0;
    std::string_view rest = it->second;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      auto item = rest.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      float f = 0;
      auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), f);
      if (ec != std::errc() || p != item.data() + item.size()) {
        throw std::runtime_error(fmt::format("model {}: metadata '{}' is not a list of numbers", m.model, key));
      }
      ++n;
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    if (n != count) {
      throw std::runtime_error(fmt::format("model {}: metadata '{}' has {} numbers, {} expected", m.model, key, n, count));
    }
  };
  integer("vocab_size");
  const int window = integer("lfr_window_size");
  if (window < 1 || window > 64) throw std::runtime_error(fmt::format("model {}: lfr_window_size {}", m.model, window));
  if (integer("lfr_window_shift") < 1) throw std::runtime_error(fmt::format("model {}: lfr_window_shift 0", m.model));
  const bool nano = meta.count("comment") && meta.at("comment").find("Nano") != std::string::npos;
  if (m.type == SherpaModel::Type::sense_voice) {
    integer("normalize_samples");
    if (nano) return;  // FunASR Nano: sherpa-onnx reads nothing more
    for (const char* key : {"with_itn", "without_itn", "lang_auto", "lang_zh", "lang_en", "lang_ja", "lang_ko",
                            "lang_yue"})
      integer(key);
  }
  floats("neg_mean", static_cast<std::size_t>(80 * window));
  floats("inv_stddev", static_cast<std::size_t>(80 * window));
}

void require_file(const std::string& path, const char* what) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw std::runtime_error(fmt::format("{} {}: no such file", what, path));
}

}  // namespace

class SherpaRecognizer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(const SherpaModel& m, asio::thread_pool& workers, core::Metrics* metrics) : model_(m), workers_(workers) {
    if (metrics) {
      reported_.utterances = &metrics->counter("xiaozhi_asr_local_utterances_total", "Utterances decoded by local ASR models");
      reported_.samples =
          &metrics->counter("xiaozhi_asr_local_samples_total", "16 kHz samples decoded by local ASR models");
      reported_.model_runs = &metrics->counter(
          "xiaozhi_asr_local_model_runs_total", "Local ASR model runs (one run decodes a batch of utterances)");
    }
    const std::string_view version = or_empty(SherpaOnnxGetVersionStr());
    if (version != sherpa_abi::kVersion) {
      throw std::runtime_error(fmt::format(
          "sherpa-onnx library {} found, but this server is built for {} (scripts/fetch_assets.sh pins it)", version,
          sherpa_abi::kVersion));
    }
    if (model_.max_batch < 1) model_.max_batch = 1;
    require_file(model_.model, "model");
    require_file(model_.tokens, "tokens");
    check_metadata(model_);

    SherpaOnnxOfflineRecognizerConfig c{};
    c.feat_config.sample_rate = kRate;
    c.feat_config.feature_dim = 80;
    c.model_config.tokens = model_.tokens.c_str();
    c.model_config.num_threads = std::max(1, model_.num_threads);
    c.model_config.debug = 0;
    c.model_config.provider = "cpu";
    if (model_.type == SherpaModel::Type::sense_voice) {
      c.model_config.sense_voice.model = model_.model.c_str();
      c.model_config.sense_voice.language = model_.language.c_str();
      c.model_config.sense_voice.use_itn = model_.use_itn ? 1 : 0;
    } else {
      c.model_config.paraformer.model = model_.model.c_str();
    }
    c.decoding_method = "greedy_search";
    c.max_active_paths = 4;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      recognizer_.reset(SherpaOnnxCreateOfflineRecognizer(&c));
    } catch (const std::exception& e) {  // ONNX Runtime's errors come through the C API as exceptions
      throw std::runtime_error(fmt::format("sherpa-onnx cannot load {}: {}", model_.model, e.what()));
    }
    if (!recognizer_) {
      throw std::runtime_error(
          fmt::format("sherpa-onnx refused the model {} with {} (its own log above says why)", model_.model, model_.tokens));
    }
    spdlog::info("sherpa-onnx {} (ONNX Runtime {}): {} loaded in {} ms", version,
                 or_empty(SherpaOnnxGetOnnxruntimeVersionStr()), model_.model,
                 std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  }

  void submit(Job job) {
    std::lock_guard lk(mu_);
    if (waiting_.size() >= model_.max_waiting) {
      throw std::runtime_error(fmt::format("sherpa-onnx: {} utterances already waiting", waiting_.size()));
    }
    waiting_.push_back(std::move(job));
    if (draining_) return;
    draining_ = true;
    asio::post(workers_, [self = shared_from_this()] { self->drain(); });
  }

  Stats stats() const {
    Stats s;
    s.utterances = utterances_.load(std::memory_order_relaxed);
    s.samples = samples_.load(std::memory_order_relaxed);
    s.model_runs = model_runs_.load(std::memory_order_relaxed);
    s.largest_batch = largest_batch_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  // On a worker: decodes what is waiting, a batch at a time, until nothing is. One drain
  // runs at a time, so utterances that arrive during a model run form the next batch.
  void drain() {
    for (;;) {
      std::vector<Job> batch;
      {
        std::lock_guard lk(mu_);
        if (waiting_.empty()) {
          draining_ = false;
          return;
        }
        const std::size_t n = std::min(waiting_.size(), model_.max_batch);
        for (std::size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(waiting_.front()));
          waiting_.pop_front();
        }
      }
      std::vector<Outcome> outcomes(batch.size());
      try {
        decode(batch, outcomes);
      } catch (const std::exception& e) {
        for (auto& o : outcomes) o.error = fmt::format("sherpa-onnx: {}", e.what());
      } catch (...) {
        for (auto& o : outcomes) o.error = "sherpa-onnx: unknown error";
      }
      for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done->try_send(core::error_code{}, std::move(outcomes[i]));
    }
  }

  void decode(const std::vector<Job>& batch, std::vector<Outcome>& out) {
    std::vector<StreamPtr> streams;
    std::vector<const SherpaOnnxOfflineStream*> raw;
    std::vector<float> samples;
    std::uint64_t total = 0;
    for (const auto& job : batch) {
      StreamPtr s(SherpaOnnxCreateOfflineStream(recognizer_.get()));
      if (!s) throw std::runtime_error("cannot create a stream");
      samples.resize(job.pcm.size());
      std::transform(job.pcm.begin(), job.pcm.end(), samples.begin(),
                     [](std::int16_t v) { return static_cast<float>(v) / 32768.0f; });
      SherpaOnnxAcceptWaveformOffline(s.get(), kRate, samples.data(), static_cast<std::int32_t>(samples.size()));
      total += job.pcm.size();
      raw.push_back(s.get());
      streams.push_back(std::move(s));
    }
    if (raw.size() == 1) {
      SherpaOnnxDecodeOfflineStream(recognizer_.get(), raw[0]);
    } else {
      SherpaOnnxDecodeMultipleOfflineStreams(recognizer_.get(), raw.data(), static_cast<std::int32_t>(raw.size()));
    }
    for (std::size_t i = 0; i < raw.size(); ++i) {
      ResultPtr r(SherpaOnnxGetOfflineStreamResult(raw[i]));
      if (!r) throw std::runtime_error("no result");
      out[i].result = to_result(*r);
    }
    utterances_.fetch_add(batch.size(), std::memory_order_relaxed);
    samples_.fetch_add(total, std::memory_order_relaxed);
    model_runs_.fetch_add(1, std::memory_order_relaxed);
    if (reported_.utterances) {
      reported_.utterances->inc(batch.size());
      reported_.samples->inc(total);
      reported_.model_runs->inc();
    }
    std::uint64_t largest = largest_batch_.load(std::memory_order_relaxed);
    while (batch.size() > largest && !largest_batch_.compare_exchange_weak(largest, batch.size())) {
    }
  }

  SherpaModel model_;
  asio::thread_pool& workers_;
  std::unique_ptr<const SherpaOnnxOfflineRecognizer, RecognizerDeleter> recognizer_;

  std::mutex mu_;
  std::deque<Job> waiting_;
  bool draining_ = false;

  std::atomic<std::uint64_t> utterances_{0}, samples_{0}, model_runs_{0}, largest_batch_{0};
  struct {
    core::Counter *utterances = nullptr, *samples = nullptr, *model_runs = nullptr;
  } reported_;
};

SherpaRecognizer::SherpaRecognizer(const SherpaModel& model, asio::thread_pool& workers, core::Metrics* metrics)
    : impl_(std::make_shared<Impl>(model, workers, metrics)) {}

SherpaRecognizer::~SherpaRecognizer() = default;

SherpaRecognizer::Stats SherpaRecognizer::stats() const { return impl_->stats(); }

asio::awaitable<AsrResult> SherpaRecognizer::recognize(std::vector<std::int16_t> pcm) {
  if (pcm.empty()) co_return AsrResult{};
  auto impl = impl_;  // in-flight work keeps the model, whatever happens to this object
  auto done = std::make_shared<Done>(co_await asio::this_coro::executor, 1);
  impl->submit(Job{std::move(pcm), done});
  auto [ec, outcome] = co_await done->async_receive(asio::as_tuple(asio::use_awaitable));
  if (ec) throw boost::system::system_error(ec, "sherpa-onnx: waiting for the transcript");
  if (!outcome.error.empty()) throw std::runtime_error(outcome.error);
  co_return std::move(outcome.result);
}

}  // namespace xz::providers
