#include "providers/vad/silero_model.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "providers/onnx_runtime.h"
#include "providers/provider_context.h"

namespace xz::providers {

namespace {
constexpr std::array<const char*, 3> kInputs{"input", "state", "sr"};
constexpr std::array<const char*, 2> kOutputs{"output", "stateN"};
constexpr std::int64_t kSampleRate = 16000;

std::vector<std::string> names(const Ort::Session& s, bool inputs) {
  Ort::AllocatorWithDefaultOptions alloc;
  std::vector<std::string> out;
  const std::size_t n = inputs ? s.GetInputCount() : s.GetOutputCount();
  for (std::size_t i = 0; i < n; ++i)
    out.emplace_back(inputs ? s.GetInputNameAllocated(i, alloc).get() : s.GetOutputNameAllocated(i, alloc).get());
  return out;
}

template <std::size_t N>
void require_names(const std::vector<std::string>& have, const std::array<const char*, N>& want,
                   const std::string& path) {
  for (const char* w : want)
    if (std::find(have.begin(), have.end(), w) == have.end())
      throw EngineConfigError(fmt::format(
          "model_path: {} is not a Silero VAD v5 model (no tensor '{}'; have {})", path, w, fmt::join(have, ", ")));
}
}  // namespace

struct SileroModel::Ort {
  ::Ort::Env env;
  ::Ort::Session session{nullptr};
  ::Ort::MemoryInfo mem = ::Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
};

SileroModel::SileroModel(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw EngineConfigError(fmt::format("model_path: {}: no such file", path));
  try {
    init_onnx_runtime();
  } catch (const std::runtime_error& e) {
    throw EngineConfigError(fmt::format("model_path: {}: cannot load: {}", path, e.what()));
  }
  try {
    ort_ = std::make_unique<Ort>(Ort{::Ort::Env(ORT_LOGGING_LEVEL_WARNING, "silero_vad")});
    ::Ort::SessionOptions opts;
    // Many short runs from many streams: parallelism comes from the worker pool.
    opts.SetIntraOpNumThreads(1);
    opts.SetInterOpNumThreads(1);
    opts.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
    ort_->session = ::Ort::Session(ort_->env, path.c_str(), opts);
  } catch (const ::Ort::Exception& e) {
    throw EngineConfigError(fmt::format("model_path: {}: cannot load: {}", path, e.what()));
  }
  require_names(names(ort_->session, true), kInputs, path);
  require_names(names(ort_->session, false), kOutputs, path);
}

SileroModel::~SileroModel() = default;

std::vector<float> SileroModel::run(State& state, std::span<const std::int16_t> samples) const {
  const std::size_t windows = samples.size() / kWindow;
  std::vector<float> probs;
  probs.reserve(windows);

  std::array<float, kContext + kWindow> input{};
  std::array<float, kStateSize> state_out{};
  std::int64_t sr = kSampleRate;
  float prob = 0;
  const std::array<std::int64_t, 2> input_shape{1, static_cast<std::int64_t>(input.size())};
  const std::array<std::int64_t, 3> state_shape{2, 1, 128};
  const std::array<std::int64_t, 2> prob_shape{1, 1};
  const auto& mem = ort_->mem;
  // The tensors wrap these buffers; each run reads `input`/`state.lstm`, writes `prob`/`state_out`.
  std::array<::Ort::Value, 3> in{
      ::Ort::Value::CreateTensor<float>(mem, input.data(), input.size(), input_shape.data(), input_shape.size()),
      ::Ort::Value::CreateTensor<float>(mem, state.lstm.data(), state.lstm.size(), state_shape.data(),
                                        state_shape.size()),
      ::Ort::Value::CreateTensor<std::int64_t>(mem, &sr, 1, nullptr, 0)};
  std::array<::Ort::Value, 2> out{
      ::Ort::Value::CreateTensor<float>(mem, &prob, 1, prob_shape.data(), prob_shape.size()),
      ::Ort::Value::CreateTensor<float>(mem, state_out.data(), state_out.size(), state_shape.data(),
                                        state_shape.size())};
  ::Ort::RunOptions run_opts{nullptr};

  for (std::size_t w = 0; w < windows; ++w) {
    auto chunk = samples.subspan(w * kWindow, kWindow);
    std::copy(state.context.begin(), state.context.end(), input.begin());
    std::transform(chunk.begin(), chunk.end(), input.begin() + kContext,
                   [](std::int16_t s) { return static_cast<float>(s) / 32768.0f; });
    try {
      ort_->session.Run(run_opts, kInputs.data(), in.data(), in.size(), kOutputs.data(), out.data(), out.size());
    } catch (const ::Ort::Exception& e) {
      throw std::runtime_error(fmt::format("silero vad: inference failed: {}", e.what()));
    }
    probs.push_back(prob);
    state.lstm = state_out;
    std::copy(input.end() - kContext, input.end(), state.context.begin());
  }
  return probs;
}

}  // namespace xz::providers
