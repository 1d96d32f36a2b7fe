#include "providers/asr/sherpa_onnx_asr.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "providers/llm/llm_config_wire.h"

namespace xz::providers {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kRate = 16000;

using llm_config::opt_bool;
using llm_config::opt_integer;
using llm_config::opt_positive;
using llm_config::opt_string;

bool is_file(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec);
}

class SherpaOnnxStream : public AsrStream {
 public:
  SherpaOnnxStream(std::shared_ptr<SherpaRecognizer> r, std::size_t max_samples)
      : recognizer_(std::move(r)), max_samples_(max_samples) {}

  asio::awaitable<void> push(std::vector<std::int16_t> pcm) override {
    const std::size_t room = max_samples_ - std::min(max_samples_, pcm_.size());
    const std::size_t keep = std::min(room, pcm.size());
    dropped_ += pcm.size() - keep;
    pcm_.insert(pcm_.end(), pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(keep));
    co_return;
  }

  asio::awaitable<AsrResult> finish() override {
    if (dropped_ > 0) {
      spdlog::warn("sherpa-onnx ASR: utterance longer than {} s, the last {} ms not recognised", max_samples_ / kRate,
                   dropped_ * 1000 / kRate);
    }
    auto recognizer = recognizer_;
    std::vector<std::int16_t> pcm = std::move(pcm_);
    pcm_.clear();
    dropped_ = 0;
    co_return co_await recognizer->recognize(std::move(pcm));
  }

 private:
  std::shared_ptr<SherpaRecognizer> recognizer_;
  std::size_t max_samples_;
  std::vector<std::int16_t> pcm_;
  std::size_t dropped_ = 0;
};

}  // namespace

std::optional<OnnxExport> find_onnx_export(const std::string& dir) {
  const std::filesystem::path d(dir);
  OnnxExport e;
  for (const char* name : {"model.int8.onnx", "model.onnx"}) {
    if (is_file(d / name)) {
      e.model = (d / name).string();
      break;
    }
  }
  if (e.model.empty() || !is_file(d / "tokens.txt")) return std::nullopt;
  e.tokens = (d / "tokens.txt").string();
  return e;
}

void read_sherpa_tuning(const EngineConfig& cfg, SherpaOnnxAsrOptions& o) {
  if (auto lang = opt_string(cfg, "language")) {
    static const std::vector<std::string> known = {"auto", "zh", "en", "ja", "ko", "yue"};
    if (std::find(known.begin(), known.end(), *lang) == known.end()) {
      throw EngineConfigError(fmt::format("language: '{}' is not one of auto, zh, en, ja, ko, yue", *lang));
    }
    o.model.language = *lang;
  }
  if (auto itn = opt_bool(cfg, "use_itn")) o.model.use_itn = *itn;
  if (auto n = opt_integer(cfg, "num_threads", 1)) {
    if (*n > 64) throw EngineConfigError("num_threads: at most 64");
    o.model.num_threads = static_cast<int>(*n);
  }
  if (auto n = opt_integer(cfg, "max_batch", 1)) {
    if (*n > 64) throw EngineConfigError("max_batch: at most 64");
    o.model.max_batch = static_cast<std::size_t>(*n);
  }
  if (auto s = opt_positive(cfg, "max_seconds")) {
    if (*s > 600) throw EngineConfigError("max_seconds: at most 600");
    o.max_samples = static_cast<std::size_t>(*s * kRate);
  }
}

SherpaOnnxAsrOptions read_sherpa_onnx_options(const EngineConfig& cfg) {
  llm_config::require_mapping(cfg);
  SherpaOnnxAsrOptions o;
  const auto type = opt_string(cfg, "model_type").value_or("sense_voice");
  if (type == "sense_voice") {
    o.model.type = SherpaModel::Type::sense_voice;
  } else if (type == "paraformer") {
    o.model.type = SherpaModel::Type::paraformer;
  } else {
    throw EngineConfigError(
        fmt::format("model_type: '{}' is not supported by this server (supported: sense_voice, paraformer)", type));
  }
  const auto dir = opt_string(cfg, "model_dir");
  if (!dir) throw EngineConfigError("model_dir: missing (the directory holding model.int8.onnx and tokens.txt)");
  auto files = find_onnx_export(*dir);
  if (!files) {
    throw EngineConfigError(fmt::format(
        "model_dir: {} does not hold a sherpa-onnx {} export: it needs model.int8.onnx (or model.onnx) and "
        "tokens.txt (README.md, \"Local Chinese recognition\", says where to get them)",
        *dir, type));
  }
  o.model.model = std::move(files->model);
  o.model.tokens = std::move(files->tokens);
  read_sherpa_tuning(cfg, o);
  return o;
}

SherpaOnnxAsr::SherpaOnnxAsr(const SherpaOnnxAsrOptions& options, ProviderContext& ctx)
    : max_samples_(std::max<std::size_t>(options.max_samples, 1)) {
  try {
    recognizer_ = std::make_shared<SherpaRecognizer>(options.model, ctx.pool, ctx.metrics);
  } catch (const std::runtime_error& e) {
    throw EngineConfigError(fmt::format("model_dir: {}", e.what()));
  }
}

SherpaOnnxAsr::SherpaOnnxAsr(const EngineConfig& cfg, ProviderContext& ctx)
    : SherpaOnnxAsr(read_sherpa_onnx_options(cfg), ctx) {}

SherpaOnnxAsr::~SherpaOnnxAsr() = default;

asio::awaitable<std::unique_ptr<AsrStream>> SherpaOnnxAsr::open() {
  co_return std::make_unique<SherpaOnnxStream>(recognizer_, max_samples_);
}

SherpaRecognizer::Stats SherpaOnnxAsr::stats() const { return recognizer_->stats(); }

}  // namespace xz::providers
