#include "providers/asr/fun_local_asr.h"

#include <filesystem>

#include <fmt/format.h>

#include "providers/llm/llm_config_wire.h"

namespace xz::providers {

namespace {

constexpr const char* kDefaultDir = "models/SenseVoiceSmall";
constexpr const char* kHowToGetIt =
    "put sherpa-onnx's SenseVoice export there: model.int8.onnx (or model.onnx) and tokens.txt from "
    "sherpa-onnx-sense-voice-zh-en-ja-ko-yue-2024-07-17 (README.md, \"Local Chinese recognition\")";

std::string why_not_usable(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return fmt::format("model_dir: {} does not exist; {}", dir, kHowToGetIt);
  if (fs::exists(fs::path(dir) / "model.pt", ec)) {
    return fmt::format(
        "model_dir: {} holds the reference's PyTorch model (model.pt), which this server cannot run; {}", dir,
        kHowToGetIt);
  }
  return fmt::format("model_dir: {} has no model.int8.onnx (or model.onnx) and tokens.txt; {}", dir, kHowToGetIt);
}

}  // namespace

SherpaOnnxAsrOptions read_fun_local_options(const EngineConfig& cfg) {
  llm_config::require_mapping(cfg);
  const auto dir = llm_config::opt_string(cfg, "model_dir").value_or(kDefaultDir);
  auto files = find_onnx_export(dir);
  if (!files) throw EngineConfigError(why_not_usable(dir));
  SherpaOnnxAsrOptions o;
  o.model.type = SherpaModel::Type::sense_voice;
  o.model.model = std::move(files->model);
  o.model.tokens = std::move(files->tokens);
  read_sherpa_tuning(cfg, o);
  return o;
}

}  // namespace xz::providers
