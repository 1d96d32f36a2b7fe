#include "providers/vad/silero_vad.h"

#include <algorithm>
#include <span>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "core/async.h"
#include "providers/vad/silero_model.h"
#include "providers/vad/turn_end_policy.h"
#include "providers/vad/vad_config.h"
#include "providers/vad/vad_smoother.h"
#include "build_paths.h"

namespace xz::providers {

namespace {

constexpr std::size_t kWindow = SileroModel::kWindow;
// A window whose every sample is this quiet (about -60 dBFS) is silence: digital
// silence or the comfort noise of the firmware's DTX packets. Speech peaks tens of dB
// higher. Such windows skip the model, which is most of a device's uplink.
constexpr int kSilencePeak = 32;

bool all_silent(std::span<const std::int16_t> samples) {
  return std::all_of(samples.begin(), samples.end(), [](std::int16_t v) { return v >= -kSilencePeak && v <= kSilencePeak; });
}

// Everything a stream decides with. Shared with its in-flight push, so destroying the
// stream while inference runs on the pool is safe.
struct SileroStreamState {
  explicit SileroStreamState(const SileroVadOptions& o) : opts(o), smoother({5, 3, o.min_silence_samples, o.pause_silence_samples}) {}

  SileroVadOptions opts;
  SileroModel::State model_state;
  std::vector<std::int16_t> pending;  // < kWindow samples
  std::uint64_t position = 0;         // samples decided so far
  bool last_voiced = false;           // hysteresis memory
  VadSmoother smoother;
  std::uint64_t generation = 0;  // bumped by reset(); results of older pushes are dropped
  bool busy = false;

  void reset() {
    model_state = {};
    pending.clear();
    position = 0;
    last_voiced = false;
    smoother.reset();
    ++generation;
    busy = false;
  }

  bool voiced(float p) {
    if (p >= opts.threshold) last_voiced = true;
    else if (p <= opts.threshold_low) last_voiced = false;
    return last_voiced;
  }
};

struct InferenceResult {
  SileroModel::State state;
  std::vector<float> probs;
};

// Window by window: silent ones get probability 0 and leave the model to start afresh
// on the next sound (its state after silence is close to the initial one anyway);
// the others run the model. Per window, so how the audio was chunked never matters.
InferenceResult decide_windows(const SileroModel& model, SileroModel::State state,
                               std::span<const std::int16_t> windows) {
  InferenceResult r;
  r.probs.reserve(windows.size() / kWindow);
  for (std::size_t at = 0; at + kWindow <= windows.size(); at += kWindow) {
    auto window = windows.subspan(at, kWindow);
    if (all_silent(window)) {
      state = {};
      r.probs.push_back(0.0F);
    } else {
      r.probs.push_back(model.run(state, window).front());
    }
  }
  r.state = state;
  return r;
}

class SileroStream : public VadStream {
 public:
  SileroStream(std::shared_ptr<const SileroModel> model, boost::asio::thread_pool& pool, const SileroVadOptions& o)
      : model_(std::move(model)), pool_(pool), st_(std::make_shared<SileroStreamState>(o)) {}

  boost::asio::awaitable<std::vector<VadEvent>> push(std::vector<std::int16_t> pcm) override {
    return push_impl(model_, pool_, st_, std::move(pcm));
  }
  bool in_speech() const override { return st_->smoother.in_speech(); }
  void reset() override { st_->reset(); }
  void hear_partial(std::string_view text) override {
    if (st_->opts.turn_end) st_->smoother.set_end_silence(st_->opts.turn_end->end_silence(text));
  }

 private:
  // A static coroutine: after resuming it touches only what it holds by shared_ptr.
  static core::Task<std::vector<VadEvent>> push_impl(std::shared_ptr<const SileroModel> model,
                                                     boost::asio::thread_pool& pool,
                                                     std::shared_ptr<SileroStreamState> st,
                                                     std::vector<std::int16_t> pcm) {
    if (st->busy) throw std::logic_error("SileroVad: push() while the previous push is still running");
    auto& pending = st->pending;
    const std::size_t total = pending.size() + pcm.size();
    if (total < kWindow) {
      pending.insert(pending.end(), pcm.begin(), pcm.end());
      co_return std::vector<VadEvent>{};
    }
    // Whole windows are decided now; the tail stays pending.
    std::vector<std::int16_t> windows;
    windows.reserve(total - total % kWindow);
    windows.insert(windows.end(), pending.begin(), pending.end());
    const std::size_t take = total - total % kWindow - pending.size();
    windows.insert(windows.end(), pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(take));
    pending.assign(pcm.begin() + static_cast<std::ptrdiff_t>(take), pcm.end());

    std::vector<VadEvent> events;
    InferenceResult r;
    if (all_silent(windows)) {
      // Most of a device's uplink: decided here, without a trip to the pool.
      r = decide_windows(*model, st->model_state, windows);
    } else {
      const std::uint64_t generation = st->generation;
      st->busy = true;
      // The job borrows from this frame, which lives until the job is done. (Owning
      // captures would also be destroyed twice by g++ 12 inside core::offload.)
      auto job = [m = model.get(), state = st->model_state, w = &windows]() {
        return decide_windows(*m, state, *w);
      };
      try {
        r = co_await core::offload(pool, job);
      } catch (...) {
        if (st->generation == generation) st->busy = false;
        throw;
      }
      if (st->generation != generation) co_return events;  // reset() while we ran
      st->busy = false;
    }
    st->model_state = r.state;
    for (float p : r.probs) {
      st->position += kWindow;
      if (auto e = st->smoother.add(st->voiced(p), st->position)) events.push_back(*e);
    }
    co_return events;
  }

  std::shared_ptr<const SileroModel> model_;
  boost::asio::thread_pool& pool_;
  std::shared_ptr<SileroStreamState> st_;
};

SileroVadOptions read_options(const EngineConfig& cfg) {
  SileroVadOptions o;
  o.threshold = vad_config_number(cfg, "threshold", 0.5, 0.0, 1.0);
  o.threshold_low = vad_config_number(cfg, "threshold_low", 0.3, 0.0, 1.0);
  if (o.threshold_low > o.threshold)
    throw EngineConfigError(
        fmt::format("threshold_low: {} is above threshold {}", o.threshold_low, o.threshold));
  const double ms = vad_config_number(cfg, "min_silence_duration_ms", 200, 0, 60'000);
  o.min_silence_samples = static_cast<std::uint64_t>(ms * 16);
  o.pause_silence_samples = speculative_silence_samples(cfg, o.min_silence_samples);
  o.turn_end = std::make_shared<const TurnEndPolicy>(read_turn_end_options(cfg), o.min_silence_samples);
  return o;
}

std::string model_path(const EngineConfig& cfg) {
  if (cfg.is_object()) {
    auto it = cfg.find("model_path");
    if (it != cfg.end() && !it->is_null()) {
      if (!it->is_string()) throw EngineConfigError("model_path: must be a string");
      if (!it->get_ref<const std::string&>().empty()) return it->get<std::string>();
    }
  }
  return XZ_THIRD_PARTY_DIR "/models/silero_vad.onnx";
}

}  // namespace

SileroVad::SileroVad(const EngineConfig& cfg, ProviderContext& ctx)
    : pool_(ctx.pool), opts_(read_options(cfg)) {
  model_ = std::make_shared<const SileroModel>(model_path(cfg));
}

SileroVad::~SileroVad() = default;

std::unique_ptr<VadStream> SileroVad::open() { return std::make_unique<SileroStream>(model_, pool_, opts_); }

}  // namespace xz::providers
