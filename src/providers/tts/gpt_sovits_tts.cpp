#include "providers/tts/gpt_sovits_tts.h"

#include <filesystem>
#include <fstream>
#include <limits>

#include <fmt/format.h>

#include "core/config.h"
#include "providers/tts/speech_output.h"
#include "providers/tts/tts_config.h"

namespace xz::providers {

using json = nlohmann::json;

namespace {

// A text value as the reference passes it on: "" stays "", an absent key is None (null).
json raw_text(const EngineConfig& cfg, const char* key) {
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return nullptr;
  if (it->is_string()) return *it;
  if (it->is_number()) return it->dump();
  throw EngineConfigError(std::string(key) + ": not text");
}

// `key`, unless its alias (the manager's name) is set.
json raw_text_or_alias(const EngineConfig& cfg, const char* key, const char* alias) {
  if (llm_config::opt_string(cfg, alias)) return raw_text(cfg, alias);
  return raw_text(cfg, key);
}

// A value the reference converts with float(): always a Python float on the wire.
double number(const EngineConfig& cfg, const char* key, double fallback) {
  return llm_config::opt_number(cfg, key).value_or(fallback);
}

long long whole(const EngineConfig& cfg, const char* key, long long fallback) {
  return llm_config::opt_integer(cfg, key, std::numeric_limits<long long>::min()).value_or(fallback);
}

int pcm_rate(const EngineConfig& cfg) {
  return static_cast<int>(llm_config::opt_integer(cfg, "sample_rate", 1000).value_or(32000));
}

// A YAML file as JSON; null when it does not exist. Throws EngineConfigError naming it.
json yaml_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return nullptr;
  constexpr std::size_t kMaxBytes = 1 << 20;
  std::ifstream in(path, std::ios::binary);
  std::string text(kMaxBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxBytes) throw EngineConfigError(fmt::format("private_voice: {} is over 1 MiB", path.string()));
  try {
    return core::Config::parse_yaml(text, path.string());
  } catch (const std::exception& e) {
    throw EngineConfigError(fmt::format("private_voice: {}: {}", path.string(), e.what()));
  }
}

// The reference's get_voice_data: the voice's entry under `section` (v2, v3) of
// data/gpt_sovits_data.yaml (the user's voices), or, when that file has no such section,
// of gpt_sovits.yaml beside the server (the shipped ones); null when neither has it.
json sovits_voice(const std::string& data_dir, const char* section, const std::string& voice) {
  auto has = [&](const json& t) { return t.is_object() && t.contains(section) && t[section].is_object() && !t[section].empty(); };
  json table = yaml_file(std::filesystem::path(data_dir) / "gpt_sovits_data.yaml");
  if (!has(table)) table = yaml_file("gpt_sovits.yaml");
  if (!has(table)) return nullptr;
  const json& voices = table[section];
  auto it = voices.find(voice);
  if (it == voices.end() || !it->is_object() || it->empty()) return nullptr;
  return *it;
}

json string_array(const json& entry, const char* key) {
  json out = json::array();
  for (auto& p : tts_config::string_list(entry, key)) out.push_back(p);
  return out;
}

}  // namespace

GptSovitsV2Tts::GptSovitsV2Tts(const EngineConfig& cfg, ProviderContext& ctx)
    : http_("GPT-SoVITS v2 TTS", (llm_config::require_mapping(cfg), cfg), ctx, 60) {
  url_ = tts_config::endpoint(cfg, {"url"}, "http://127.0.0.1:9880/tts", {"http", "https"});
  format_ = tts_config::audio_format(cfg, "format", "wav");
  sample_rate_ = pcm_rate(cfg);
  json aux = json::array();
  for (auto& p : tts_config::string_list(cfg, "aux_ref_audio_paths")) aux.push_back(p);
  request_ = {{"text", ""},
              {"text_lang", llm_config::opt_string(cfg, "text_lang").value_or("zh")},
              {"ref_audio_path", raw_text_or_alias(cfg, "ref_audio_path", "ref_audio")},
              {"aux_ref_audio_paths", std::move(aux)},
              {"prompt_text", raw_text_or_alias(cfg, "prompt_text", "ref_text")},
              {"prompt_lang", llm_config::opt_string(cfg, "prompt_lang").value_or("zh")},
              {"top_k", whole(cfg, "top_k", 5)},
              {"top_p", number(cfg, "top_p", 1)},
              {"temperature", number(cfg, "temperature", 1)},
              {"text_split_method", llm_config::opt_string(cfg, "text_split_method").value_or("cut0")},
              {"batch_size", whole(cfg, "batch_size", 1)},
              {"batch_threshold", number(cfg, "batch_threshold", 0.75)},
              {"split_bucket", llm_config::opt_bool(cfg, "split_bucket").value_or(true)},
              {"return_fragment", llm_config::opt_bool(cfg, "return_fragment").value_or(false)},
              {"speed_factor", number(cfg, "speed_factor", 1.0)},
              {"streaming_mode", llm_config::opt_bool(cfg, "streaming_mode").value_or(false)},
              {"seed", whole(cfg, "seed", -1)},
              {"parallel_infer", llm_config::opt_bool(cfg, "parallel_infer").value_or(true)},
              {"repetition_penalty", number(cfg, "repetition_penalty", 1.35)}};
  // The manager's per-agent voice names an entry of the voice table: its reference audio,
  // prompt and languages replace the entry's (missing languages are zh, as the reference).
  if (auto voice = llm_config::opt_string(cfg, "private_voice")) {
    const json data = sovits_voice(ctx.data_dir, "v2", *voice);
    if (!data.is_null()) {
      request_["text_lang"] = llm_config::opt_string(data, "text_lang").value_or("zh");
      request_["ref_audio_path"] = raw_text(data, "ref_audio_path");
      request_["aux_ref_audio_paths"] = string_array(data, "aux_ref_audio_paths");
      request_["prompt_text"] = raw_text(data, "prompt_text");
      request_["prompt_lang"] = llm_config::opt_string(data, "prompt_lang").value_or("zh");
    }
  }
}

boost::asio::awaitable<void> GptSovitsV2Tts::synthesize(TtsRequest req, PcmSink sink) {
  if (is_blank(req.text)) co_return;
  json body = request_;
  body["text"] = req.text;
  HttpSpeech call{http_.request("POST", url_), audio::make_audio_stream_decoder(format_, sample_rate_)};
  call.request.headers = {{"Content-Type", "application/json"}};
  call.request.body = body.dump();
  co_await http_.speak(std::move(call), sink);
}

GptSovitsV3Tts::GptSovitsV3Tts(const EngineConfig& cfg, ProviderContext& ctx)
    : http_("GPT-SoVITS v3 TTS", (llm_config::require_mapping(cfg), cfg), ctx, 60) {
  url_ = tts_config::endpoint(cfg, {"url"}, "http://127.0.0.1:9880", {"http", "https"});
  format_ = tts_config::audio_format(cfg, "format", "wav");
  sample_rate_ = pcm_rate(cfg);
  json inp_refs = json::array();
  for (auto& p : tts_config::string_list(cfg, "inp_refs")) inp_refs.push_back(p);
  // As requests sends them: nulls (unset keys) are left out, lists repeat their key.
  params_ = {{"refer_wav_path", raw_text(cfg, "refer_wav_path")},
             {"prompt_text", raw_text(cfg, "prompt_text")},
             {"prompt_language", raw_text(cfg, "prompt_language")},
             {"text_language", llm_config::opt_string(cfg, "text_language").value_or("audo")},
             {"top_k", whole(cfg, "top_k", 15)},
             {"top_p", number(cfg, "top_p", 1.0)},
             {"temperature", number(cfg, "temperature", 1.0)},
             {"cut_punc", llm_config::opt_string(cfg, "cut_punc").value_or("")},
             {"speed", number(cfg, "speed", 1.0)},
             {"inp_refs", std::move(inp_refs)},
             {"sample_steps", whole(cfg, "sample_steps", 32)},
             {"if_sr", llm_config::opt_bool(cfg, "if_sr").value_or(false)}};
  // The same voice table, section v3, under v3's own parameter names.
  if (auto voice = llm_config::opt_string(cfg, "private_voice")) {
    const json data = sovits_voice(ctx.data_dir, "v3", *voice);
    if (!data.is_null()) {
      params_["text_language"] = llm_config::opt_string(data, "text_lang").value_or("zh");
      params_["refer_wav_path"] = raw_text(data, "ref_audio_path");
      params_["inp_refs"] = string_array(data, "inp_refs");
      params_["prompt_text"] = raw_text(data, "prompt_text");
      params_["prompt_language"] = llm_config::opt_string(data, "prompt_lang").value_or("zh");
    }
  }
}

boost::asio::awaitable<void> GptSovitsV3Tts::synthesize(TtsRequest req, PcmSink sink) {
  if (is_blank(req.text)) co_return;
  json params = params_;
  params["text"] = req.text;
  HttpSpeech call{http_.request("GET", with_query(url_, python_query_string(params))),
                  audio::make_audio_stream_decoder(format_, sample_rate_)};
  co_await http_.speak(std::move(call), sink);
}

}  // namespace xz::providers
