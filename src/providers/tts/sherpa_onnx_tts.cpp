#include "providers/tts/sherpa_onnx_tts.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "providers/asr/onnx_metadata.h"
#include "providers/llm/llm_config_wire.h"
#include "providers/tts/sherpa_tts_checks.h"
#include "providers/tts/speech_output.h"

namespace xz::providers {

namespace fs = std::filesystem;

namespace {

using llm_config::opt_integer;
using llm_config::opt_positive;
using llm_config::opt_string;

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}
bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// The *.onnx files of `dir`, sorted.
std::vector<std::string> onnx_files(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".onnx" && is_file(it->path())) out.push_back(it->path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_vocoder_name(const std::string& name) { return name.starts_with("vocos") || name.starts_with("hifigan"); }

// The model file of `dir`: `preferred` if there, else the one .onnx that is no vocoder,
// else the one of those that is not int8. "" when none or several.
std::string pick_model(const fs::path& dir, const char* preferred) {
  if (is_file(dir / preferred)) return (dir / preferred).string();
  std::vector<std::string> all;
  for (auto& f : onnx_files(dir))
    if (!is_vocoder_name(f)) all.push_back(f);
  if (all.size() == 1) return (dir / all[0]).string();
  std::vector<std::string> full;
  for (auto& f : all)
    if (!f.ends_with(".int8.onnx")) full.push_back(f);
  if (full.size() == 1) return (dir / full[0]).string();
  return {};
}

std::string type_name(SherpaTtsModel::Type t) {
  switch (t) {
    case SherpaTtsModel::Type::vits: return "vits";
    case SherpaTtsModel::Type::matcha: return "matcha";
    case SherpaTtsModel::Type::kokoro: return "kokoro";
  }
  return "vits";
}

std::string expected_files(SherpaTtsModel::Type t) {
  switch (t) {
    case SherpaTtsModel::Type::vits:
      return "a model (model.onnx or the one *.onnx), tokens.txt, and lexicon.txt or espeak-ng-data/ (jieba models "
             "also dict/)";
    case SherpaTtsModel::Type::matcha:
      return "the acoustic model (*.onnx), a vocoder (vocos-*.onnx or hifigan*.onnx, or the key vocoder), "
             "tokens.txt, and lexicon.txt or espeak-ng-data/";
    case SherpaTtsModel::Type::kokoro:
      return "model.onnx, voices.bin, tokens.txt and espeak-ng-data/ (multi-lingual models also lexicon-*.txt and "
             "dict/)";
  }
  return {};
}

}  // namespace

SherpaOnnxTtsOptions read_sherpa_onnx_tts_options(const EngineConfig& cfg) {
  llm_config::require_mapping(cfg);
  SherpaOnnxTtsOptions o;
  auto& m = o.model;
  const auto type = opt_string(cfg, "model_type").value_or("vits");
  if (type == "vits" || type == "melo" || type == "melotts") m.type = SherpaTtsModel::Type::vits;
  else if (type == "matcha") m.type = SherpaTtsModel::Type::matcha;
  else if (type == "kokoro") m.type = SherpaTtsModel::Type::kokoro;
  else
    throw EngineConfigError(
        fmt::format("model_type: '{}' is not supported by this server (supported: vits, matcha, kokoro)", type));

  const auto dir_key = opt_string(cfg, "model_dir");
  if (!dir_key && !opt_string(cfg, "model"))
    throw EngineConfigError("model_dir: missing (the directory of a sherpa-onnx TTS model, or the key model)");
  const fs::path dir = dir_key.value_or("");
  if (dir_key && !is_dir(dir))
    throw EngineConfigError(fmt::format("model_dir: {}: no such directory (README.md, \"Local Chinese voices\", says "
                                        "how to get a model)",
                                        *dir_key));
  // From model_dir, when there.
  if (dir_key) {
    m.model = pick_model(dir, "model.onnx");
    if (is_file(dir / "tokens.txt")) m.tokens = (dir / "tokens.txt").string();
    if (is_file(dir / "lexicon.txt")) {
      m.lexicon = (dir / "lexicon.txt").string();
    } else if (m.type == SherpaTtsModel::Type::kokoro) {
      std::vector<std::string> lexicons;
      std::error_code ec;
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name.starts_with("lexicon-") && name.ends_with(".txt")) lexicons.push_back(it->path().string());
      }
      std::sort(lexicons.begin(), lexicons.end());
      m.lexicon = fmt::format("{}", fmt::join(lexicons, ","));
    }
    if (is_dir(dir / "espeak-ng-data")) m.data_dir = (dir / "espeak-ng-data").string();
    if (is_dir(dir / "dict")) m.dict_dir = (dir / "dict").string();
    if (is_file(dir / "voices.bin")) m.voices = (dir / "voices.bin").string();
    for (auto& f : onnx_files(dir))
      if (is_vocoder_name(f) && m.vocoder.empty()) m.vocoder = (dir / f).string();
    std::vector<std::string> fsts;
    for (const char* f : {"phone.fst", "date.fst", "number.fst"})
      if (is_file(dir / f)) fsts.push_back((dir / f).string());
    m.rule_fsts = fmt::format("{}", fmt::join(fsts, ","));
  }
  // Explicit files win.
  for (auto [key, field] : {std::pair{"model", &m.model}, {"tokens", &m.tokens}, {"lexicon", &m.lexicon},
                            {"data_dir", &m.data_dir}, {"dict_dir", &m.dict_dir}, {"voices", &m.voices},
                            {"vocoder", &m.vocoder}, {"rule_fsts", &m.rule_fsts}}) {
    if (auto v = opt_string(cfg, key)) *field = *v;
  }
  if (m.model.empty() || m.tokens.empty() ||
      (m.type == SherpaTtsModel::Type::kokoro && (m.voices.empty() || m.data_dir.empty())) ||
      (m.type == SherpaTtsModel::Type::matcha && m.vocoder.empty())) {
    throw EngineConfigError(fmt::format(
        "model_dir: {} does not hold a sherpa-onnx {} model: it needs {} (README.md, \"Local Chinese voices\", says "
        "how to get one)",
        dir_key.value_or("(not set)"), type_name(m.type), expected_files(m.type)));
  }
  // A VITS model not using jieba must not be given a dict (sherpa-onnx ends the process).
  if (m.type == SherpaTtsModel::Type::vits && !m.dict_dir.empty() && !opt_string(cfg, "dict_dir") &&
      is_file(m.model)) {
    try {
      if (sherpa_tts::metadata_integer(read_onnx_metadata_file(m.model), "jieba").value_or(0) == 0) m.dict_dir.clear();
    } catch (const std::runtime_error&) {
      // the model's own check at load says what is wrong with it
    }
  }
  if (auto lang = opt_string(cfg, "lang")) m.lang = *lang;
  if (auto n = opt_integer(cfg, "num_threads", 1)) {
    if (*n > 64) throw EngineConfigError("num_threads: at most 64");
    m.num_threads = static_cast<int>(*n);
  }
  if (auto sid = opt_integer(cfg, "speaker_id", 0)) {
    if (*sid > 100000) throw EngineConfigError("speaker_id: at most 100000");
    o.speaker_id = static_cast<int>(*sid);
  }
  if (auto s = opt_positive(cfg, "speed")) {
    if (*s < 0.25 || *s > 4) throw EngineConfigError("speed: 0.25 to 4 (1 is the model's pace)");
    o.speed = static_cast<float>(*s);
  }
  return o;
}

SherpaOnnxTts::SherpaOnnxTts(const SherpaOnnxTtsOptions& options, ProviderContext& ctx)
    : speaker_id_(options.speaker_id), speed_(options.speed) {
  try {
    synth_ = std::make_shared<SherpaSynthesizer>(options.model, ctx.pool, ctx.metrics);
  } catch (const std::runtime_error& e) {
    throw EngineConfigError(fmt::format("model_dir: {}", e.what()));
  }
}

SherpaOnnxTts::SherpaOnnxTts(const EngineConfig& cfg, ProviderContext& ctx)
    : SherpaOnnxTts(read_sherpa_onnx_tts_options(cfg), ctx) {}

SherpaOnnxTts::~SherpaOnnxTts() = default;

boost::asio::awaitable<void> SherpaOnnxTts::synthesize(TtsRequest req, PcmSink sink) {
  if (is_blank(req.text)) co_return;
  int sid = speaker_id_;
  if (!req.voice.empty()) {
    int v = -1;
    const auto* end = req.voice.data() + req.voice.size();
    if (auto [p, ec] = std::from_chars(req.voice.data(), end, v); ec == std::errc() && p == end && v >= 0) sid = v;
  }
  auto synth = synth_;
  co_await synth->speak(std::move(req.text), sid, speed_, sink);
}

}  // namespace xz::providers
