#include "providers/registry.h"

#include <functional>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "providers/asr/aliyun_asr.h"
#include "providers/asr/aliyun_stream_asr.h"
#include "providers/asr/aliyunbl_stream_asr.h"
#include "providers/asr/baidu_asr.h"
#include "providers/asr/doubao_asr.h"
#include "providers/asr/doubao_stream_asr.h"
#include "providers/asr/fun_local_asr.h"
#include "providers/asr/fun_server_asr.h"
#include "providers/asr/openai_asr.h"
#include "providers/asr/pocketsphinx_asr.h"
#include "providers/asr/qwen3_asr_flash.h"
#include "providers/asr/sherpa_onnx_asr.h"
#include "providers/asr/tencent_asr.h"
#include "providers/asr/xunfei_stream_asr.h"
#include "providers/llm/alibl_llm.h"
#include "providers/llm/coze_llm.h"
#include "providers/llm/dify_llm.h"
#include "providers/llm/fastgpt_llm.h"
#include "providers/llm/gemini_llm.h"
#include "providers/llm/homeassistant_llm.h"
#include "providers/llm/llama_cpp_llm.h"
#include "providers/llm/ollama_llm.h"
#include "providers/llm/openai_llm.h"
#include "providers/llm/xinference_llm.h"
#include "providers/tts/cozecn_tts.h"
#include "providers/tts/custom_tts.h"
#include "providers/tts/doubao_tts.h"
#include "providers/tts/edge_tts.h"
#include "providers/tts/espeak_tts.h"
#include "providers/tts/fishspeech_tts.h"
#include "providers/tts/gpt_sovits_tts.h"
#include "providers/tts/index_stream_tts.h"
#include "providers/tts/minimax_tts.h"
#include "providers/tts/paddle_speech_tts.h"
#include "providers/tts/sherpa_onnx_tts.h"
#include "providers/tts/siliconflow_tts.h"
#include "providers/tts/tencent_tts.h"
#include "providers/tts/flite_tts.h"
#include "providers/tts/alibl_stream_tts.h"
#include "providers/tts/aliyun_stream_tts.h"
#include "providers/tts/aliyun_tts.h"
#include "providers/tts/huoshan_double_stream_tts.h"
#include "providers/tts/xunfei_stream_tts.h"
#include "providers/tts/openai_tts.h"
#include "providers/tts/tts_config.h"
#include "providers/vad/silero_vad.h"
#include "providers/vad/webrtc_vad.h"
#include "providers/vllm/openai_vllm.h"

namespace xz::providers {

namespace {

template <class Base>
using Factory = std::function<std::unique_ptr<Base>(const EngineConfig&, ProviderContext&)>;

template <class Base, class Impl>
Factory<Base> factory() {
  return [](const EngineConfig& c, ProviderContext& ctx) { return std::make_unique<Impl>(c, ctx); };
}

const std::map<std::string, Factory<VadEngine>>& vad_factories() {
  static const std::map<std::string, Factory<VadEngine>> m = {
      {"silero", factory<VadEngine, SileroVad>()}, {"webrtc", factory<VadEngine, WebRtcVad>()}};
  return m;
}
const std::map<std::string, Factory<AsrEngine>>& asr_factories() {
  static const std::map<std::string, Factory<AsrEngine>> m = {
      {"pocketsphinx", factory<AsrEngine, PocketsphinxAsr>()},
      {"openai", factory<AsrEngine, OpenAiAsr>()},
      {"doubao_stream", factory<AsrEngine, DoubaoStreamAsr>()},
      {"xunfei_stream", factory<AsrEngine, XunfeiStreamAsr>()},
      {"aliyunbl_stream", factory<AsrEngine, AliyunBlStreamAsr>()},
      {"aliyun_stream", factory<AsrEngine, AliyunStreamAsr>()},
      {"qwen3_asr_flash", factory<AsrEngine, Qwen3AsrFlash>()},
      {"fun_server", factory<AsrEngine, FunServerAsr>()},
      {"tencent", factory<AsrEngine, TencentAsr>()},
      {"baidu", factory<AsrEngine, BaiduAsr>()},
      {"aliyun", factory<AsrEngine, AliyunAsr>()},
      {"doubao", factory<AsrEngine, DoubaoAsr>()},
      {"sherpa_onnx_local", factory<AsrEngine, SherpaOnnxAsr>()},
      {"fun_local", [](const EngineConfig& c, ProviderContext& ctx) -> std::unique_ptr<AsrEngine> {
         return std::make_unique<SherpaOnnxAsr>(read_fun_local_options(c), ctx);
       }}};
  return m;
}
const std::map<std::string, Factory<LlmEngine>>& llm_factories() {
  static const std::map<std::string, Factory<LlmEngine>> m = {
      {"openai", factory<LlmEngine, OpenAiLlm>()},         {"ollama", factory<LlmEngine, OllamaLlm>()},
      {"dify", factory<LlmEngine, DifyLlm>()},             {"gemini", factory<LlmEngine, GeminiLlm>()},
      {"homeassistant", factory<LlmEngine, HomeAssistantLlm>()}, {"llama_cpp", factory<LlmEngine, LlamaCppLlm>()},
      {"xinference", factory<LlmEngine, XinferenceLlm>()},   {"fastgpt", factory<LlmEngine, FastGptLlm>()},
      {"AliBL", factory<LlmEngine, AliBlLlm>()},             {"coze", factory<LlmEngine, CozeLlm>()}};
  return m;
}
const std::map<std::string, Factory<VllmEngine>>& vllm_factories() {
  static const std::map<std::string, Factory<VllmEngine>> m = {{"openai", factory<VllmEngine, OpenAiVllm>()}};
  return m;
}
const std::map<std::string, Factory<TtsEngine>>& tts_factories() {
  static const std::map<std::string, Factory<TtsEngine>> m = {{"flite", factory<TtsEngine, FliteTts>()},
      // Issue 15: Edge and the HTTP engines, under the reference's type names.
      {"edge", factory<TtsEngine, EdgeTts>()},
      {"siliconflow", factory<TtsEngine, SiliconFlowTts>()},
      {"custom", factory<TtsEngine, CustomTts>()},
      {"fishspeech", factory<TtsEngine, FishSpeechTts>()},
      {"gpt_sovits_v2", factory<TtsEngine, GptSovitsV2Tts>()},
      {"gpt_sovits_v3", factory<TtsEngine, GptSovitsV3Tts>()},
      {"minimax_httpstream", factory<TtsEngine, MinimaxTts>()},
      {"doubao", factory<TtsEngine, DoubaoTts>()},
      {"cozecn", factory<TtsEngine, CozeCnTts>()},
      {"tencent", factory<TtsEngine, TencentTts>()},
      {"aliyun", factory<TtsEngine, AliyunTts>()},
      {"paddle_speech", factory<TtsEngine, PaddleSpeechTts>()},
      {"index_stream", factory<TtsEngine, IndexStreamTts>()},
                                                             {"espeak", factory<TtsEngine, EspeakTts>()},
                                                             {"openai", factory<TtsEngine, OpenAiTts>()},
      // Dual-stream engines (issue 15 Deliver 3).
      {"huoshan_double_stream", factory<TtsEngine, HuoshanDoubleStreamTts>()},
      {"aliyun_stream", factory<TtsEngine, AliyunStreamTts>()},
      {"alibl_stream", factory<TtsEngine, AliBlStreamTts>()},
      {"xunfei_stream", factory<TtsEngine, XunfeiStreamTts>()},
      // Local neural voices (issue 15 Deliver 6; ours, the reference has none).
      {"sherpa_onnx_local", factory<TtsEngine, SherpaOnnxTts>()},
  };
  return m;
}

template <class Base>
std::unique_ptr<Base> make_entry(const std::map<std::string, Factory<Base>>& factories, const core::Config& cfg,
                                 const std::string& kind, const std::string& entry, ProviderContext& ctx) {
  const core::Json* node = cfg.find(kind + "." + entry);
  EngineConfig ec = node && node->is_object() ? *node : EngineConfig::object();
  std::string type = ec.value("type", entry);
  auto f = factories.find(type);
  if (f == factories.end()) {
    std::set<std::string> supported;
    for (const auto& [name, _] : factories) supported.insert(name);
    throw EngineConfigError(kind + "." + entry + ": type '" + type +
                            "' is not supported by this server (supported: " + fmt::format("{}", fmt::join(supported, ", ")) +
                            ")");
  }
  // The manager's voice settings (ttsVolume, ttsRate, ttsPitch) become the engine's own keys.
  if (kind == "TTS") {
    try {
      ec = tts_config::with_manager_voice_settings(type, std::move(ec));
    } catch (const EngineConfigError& e) {
      throw EngineConfigError(kind + "." + entry + "." + e.what());
    }
  }
  try {
    return f->second(ec, ctx);
  } catch (const EngineConfigError& e) {
    throw EngineConfigError(kind + "." + entry + "." + e.what());
  }
}

template <class Base>
std::unique_ptr<Base> make_selected(const std::map<std::string, Factory<Base>>& factories, const core::Config& cfg,
                                    const std::string& kind, ProviderContext& ctx) {
  std::string entry = cfg.str("selected_module." + kind);
  if (entry.empty()) throw EngineConfigError("selected_module." + kind + ": missing");
  return make_entry(factories, cfg, kind, entry, ctx);
}

template <class M>
std::set<std::string> keys(const M& m) {
  std::set<std::string> out;
  for (const auto& [k, v] : m) out.insert(k);
  return out;
}

}  // namespace

const core::KnownProviderTypes& known_types() {
  static const core::KnownProviderTypes k = {{"VAD", keys(vad_factories())},
                                             {"ASR", keys(asr_factories())},
                                             {"LLM", keys(llm_factories())},
                                             {"TTS", keys(tts_factories())},
                                             {"VLLM", keys(vllm_factories())}};
  return k;
}

const core::ExtraEngineKeys& extra_engine_keys() {
  static const core::ExtraEngineKeys k = {
      {"ASR.openai", {"url"}},
      // Streaming engines: the reference's keys its config.yaml entries do not show.
      {"ASR.doubao_stream", {"sample_rate", "bits", "channel", "secret", "uid", "workflow", "result_type", "format",
                             "codec", "auth_method"}},
      {"ASR.aliyunbl_stream", {"heartbeat"}},
      {"LLM.openai", {"url"}},
      {"LLM.ollama", {"url"}},
      {"LLM.dify", {"url"}},
      {"LLM.gemini", {"url", "http_proxy", "https_proxy"}},
      {"LLM.homeassistant", {"url"}},
      {"LLM.fastgpt", {"url"}},
      {"LLM.AliBL", {"url"}},
      {"LLM.coze", {"url"}},
      {"VLLM.openai", {"url"}},
      // response_format: this server's earlier name for `format`; private_voice: the
      // manager's per-agent voice.
      {"TTS.openai", {"url", "base_url", "response_format", "private_voice", "ttsVolume", "ttsRate", "ttsPitch"}},
      // Issue 15: the manager's per-agent voice, and the reference's aliases.
      {"TTS.edge", {"private_voice", "endpoint", "format", "ttsVolume", "ttsRate", "ttsPitch"}},
      {"TTS.siliconflow", {"private_voice"}},
      {"TTS.custom", {"sample_rate"}},
      {"TTS.fishspeech", {"ref_audio", "ref_text"}},
      {"TTS.gpt_sovits_v2", {"ref_audio", "ref_text", "format", "sample_rate", "private_voice"}},
      {"TTS.gpt_sovits_v3", {"format", "sample_rate", "private_voice"}},
      {"TTS.minimax_httpstream", {"private_voice", "voice_setting", "pronunciation_dict", "audio_setting",
                                  "timber_weights", "ttsVolume", "ttsRate", "ttsPitch"}},
      {"TTS.doubao", {"private_voice", "sample_rate"}},
      {"TTS.cozecn", {"private_voice", "model", "sample_rate"}},
      {"TTS.tencent", {"private_voice", "format"}},
      {"TTS.paddle_speech", {"private_voice"}},
      {"TTS.index_stream", {"private_voice", "sample_rate"}},
      {"TTS.aliyun", {"private_voice", "ttsVolume", "ttsRate", "ttsPitch"}},
      // Dual-stream engines: the reference's keys its config.yaml entries do not show.
      {"TTS.huoshan_double_stream", {"endpoint", "private_voice", "mix_speaker", "cluster", "authorization",
                                     "tts_timeout", "idle_timeout", "ca_file", "ttsVolume", "ttsRate", "ttsPitch"}},
      {"TTS.aliyun_stream", {"endpoint", "private_voice", "format", "ttsVolume", "ttsRate", "ttsPitch"}},
      {"TTS.alibl_stream", {"endpoint", "ws_url", "private_voice", "ttsVolume", "ttsRate", "ttsPitch"}},
      {"TTS.xunfei_stream", {"endpoint", "private_voice", "ttsVolume", "ttsRate", "ttsPitch"}},
  };
  return k;
}

std::unique_ptr<VadEngine> make_vad(const core::Config& cfg, ProviderContext& ctx) {
  return make_selected(vad_factories(), cfg, "VAD", ctx);
}
std::unique_ptr<AsrEngine> make_asr(const core::Config& cfg, ProviderContext& ctx) {
  return make_selected(asr_factories(), cfg, "ASR", ctx);
}
std::unique_ptr<LlmEngine> make_llm(const core::Config& cfg, ProviderContext& ctx) {
  return make_selected(llm_factories(), cfg, "LLM", ctx);
}
std::unique_ptr<TtsEngine> make_tts(const core::Config& cfg, ProviderContext& ctx) {
  return make_selected(tts_factories(), cfg, "TTS", ctx);
}
std::unique_ptr<VllmEngine> make_vllm(const core::Config& cfg, ProviderContext& ctx) {
  std::string entry = cfg.str("selected_module.VLLM");
  if (entry.empty()) return nullptr;
  return make_entry(vllm_factories(), cfg, "VLLM", entry, ctx);
}
std::unique_ptr<LlmEngine> make_llm_entry(const core::Config& cfg, const std::string& entry, ProviderContext& ctx) {
  return make_entry(llm_factories(), cfg, "LLM", entry, ctx);
}

}  // namespace xz::providers
