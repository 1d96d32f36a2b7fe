#pragma once
// Engine factories keyed by the config's `type` (the reference's rule: the entry's
// `type`, else the entry name). Every engine is created once per process.
#include <memory>

#include "core/config.h"
#include "core/config_schema.h"
#include "providers/asr/asr.h"
#include "providers/llm/llm.h"
#include "providers/provider_context.h"
#include "providers/tts/tts.h"
#include "providers/vad/vad.h"
#include "providers/vllm/vllm.h"

namespace xz::providers {

// The engine types this build implements for VAD, ASR, LLM, VLLM and TTS (Memory and
// Intent types belong to their own layers).
const core::KnownProviderTypes& known_types();
// Keys these engines read that config/config.yaml's default entries do not show: the
// reference's names for the same setting (`url` for `base_url`, ...).
const core::ExtraEngineKeys& extra_engine_keys();

// The selected engine of each kind. Throw EngineConfigError naming the key path
// ("TTS.FliteTTS.voice: ...") when its configuration is wrong.
std::unique_ptr<VadEngine> make_vad(const core::Config& cfg, ProviderContext& ctx);
std::unique_ptr<AsrEngine> make_asr(const core::Config& cfg, ProviderContext& ctx);
std::unique_ptr<LlmEngine> make_llm(const core::Config& cfg, ProviderContext& ctx);
std::unique_ptr<TtsEngine> make_tts(const core::Config& cfg, ProviderContext& ctx);
// nullptr when selected_module.VLLM is empty (vision explain then answers 503).
std::unique_ptr<VllmEngine> make_vllm(const core::Config& cfg, ProviderContext& ctx);

// An engine by entry name (e.g. a second LLM for intent or memory).
std::unique_ptr<LlmEngine> make_llm_entry(const core::Config& cfg, const std::string& entry, ProviderContext& ctx);

}  // namespace xz::providers
