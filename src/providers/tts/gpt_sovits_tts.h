#pragma once
// A self-hosted GPT-SoVITS server, both of the reference's types: `gpt_sovits_v2`
// (api_v2.py: POST /tts with JSON) and `gpt_sovits_v3` (the older api.py: GET with the
// parameters in the query). The answer is audio (WAV by default), decoded as it arrives.
//
// v2 config keys (the reference's): url (default http://127.0.0.1:9880/tts), text_lang
// (zh), ref_audio_path (alias ref_audio), prompt_text (alias ref_text), prompt_lang (zh),
// aux_ref_audio_paths ([]), top_k (5), top_p (1), temperature (1), text_split_method
// (cut0), batch_size (1), batch_threshold (0.75), split_bucket (true), return_fragment
// (false), speed_factor (1.0), streaming_mode (false), seed (-1), parallel_infer (true),
// repetition_penalty (1.35), format (of the answer, wav).
// v3 config keys: url (default http://127.0.0.1:9880), refer_wav_path, prompt_text,
// prompt_language, text_language ("audo", the reference's own default), top_k (15), top_p
// (1.0), temperature (1.0), cut_punc (""), speed (1.0), inp_refs ([]), sample_steps
// (32), if_sr (false), format (wav).
// Both, ours: timeout (seconds, 60), ca_file, sample_rate (of pcm answers, 32000).
// private_voice (the manager's per-agent voice) names an entry of the reference's voice
// table, `v2:` / `v3:` in <data_dir>/gpt_sovits_data.yaml (else in ./gpt_sovits.yaml):
// text_lang, ref_audio_path, aux_ref_audio_paths (v2) or inp_refs (v3), prompt_text,
// prompt_lang, sent under each version's own names.
#include <string>

#include <nlohmann/json.hpp>

#include "providers/tts/http_speech.h"
#include "providers/tts/tts.h"

namespace xz::providers {

class GptSovitsV2Tts : public TtsEngine {
 public:
  GptSovitsV2Tts(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

 private:
  HttpTtsClient http_;
  std::string url_;
  audio::AudioFormat format_;
  int sample_rate_ = 32000;
  nlohmann::json request_;  // without its text
};

class GptSovitsV3Tts : public TtsEngine {
 public:
  GptSovitsV3Tts(const EngineConfig& cfg, ProviderContext& ctx);
  boost::asio::awaitable<void> synthesize(TtsRequest req, PcmSink sink) override;

 private:
  HttpTtsClient http_;
  std::string url_;
  audio::AudioFormat format_;
  int sample_rate_ = 32000;
  nlohmann::json params_;  // without the text
};

}  // namespace xz::providers
