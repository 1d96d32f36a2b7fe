#pragma once
// Our declarations of the part of sherpa-onnx's C API we call: the offline (non-streaming)
// recognizer and the offline TTS (providers/tts/sherpa_synthesizer). The npm package sherpa-onnx-linux-x64 ships libsherpa-onnx-c-api.so without
// its header, so these are written from the public sherpa-onnx/c-api/c-api.h and must
// match the library's release exactly: **sherpa-onnx 1.13.8** (scripts/fetch_assets.sh
// pins it; SherpaRecognizer refuses any other version at load).
//
// How the 1.13.8 layout was established (newer headers differ):
//  - field order: the public c-api.h, cross-checked with the JavaScript of the npm package
//    sherpa-onnx@1.13.8 (sherpa-onnx-asr.js lays these structs out by hand for its wasm
//    build). In 1.13.8 SherpaOnnxOfflineQwen3ASRModelConfig ends at `hotwords` (the four
//    forced_aligner_* fields came later) and SherpaOnnxOfflineRecognizerConfig ends at
//    `hr` (ctc_fst_decoder_config came later).
//  - offsets: read from the 1.13.8 library's GetOfflineRecognizerConfig (objdump): it reads
//    exactly the offsets asserted below, the last at 600 (hr.rule_fsts); the result object
//    SherpaOnnxGetOfflineStreamResult allocates is 128 bytes.
// Every nested struct is declared in full, including those we leave zeroed.
#include <cstddef>
#include <cstdint>

extern "C" {

// ---------------------------------------------------------------- version
const char* SherpaOnnxGetVersionStr();
const char* SherpaOnnxGetOnnxruntimeVersionStr();

// ---------------------------------------------------------------- configuration
typedef struct SherpaOnnxFeatureConfig {
  int32_t sample_rate;
  int32_t feature_dim;
} SherpaOnnxFeatureConfig;

typedef struct SherpaOnnxHomophoneReplacerConfig {
  const char* dict_dir;  // unused, kept by sherpa-onnx for its ABI
  const char* lexicon;
  const char* rule_fsts;
} SherpaOnnxHomophoneReplacerConfig;

typedef struct SherpaOnnxOfflineTransducerModelConfig {
  const char* encoder;
  const char* decoder;
  const char* joiner;
} SherpaOnnxOfflineTransducerModelConfig;

typedef struct SherpaOnnxOfflineParaformerModelConfig {
  const char* model;
} SherpaOnnxOfflineParaformerModelConfig;

typedef struct SherpaOnnxOfflineNemoEncDecCtcModelConfig {
  const char* model;
} SherpaOnnxOfflineNemoEncDecCtcModelConfig;

typedef struct SherpaOnnxOfflineWhisperModelConfig {
  const char* encoder;
  const char* decoder;
  const char* language;
  const char* task;
  int32_t tail_paddings;
  int32_t enable_token_timestamps;
  int32_t enable_segment_timestamps;
} SherpaOnnxOfflineWhisperModelConfig;

typedef struct SherpaOnnxOfflineCanaryModelConfig {
  const char* encoder;
  const char* decoder;
  const char* src_lang;
  const char* tgt_lang;
  int32_t use_pnc;
} SherpaOnnxOfflineCanaryModelConfig;

typedef struct SherpaOnnxOfflineCohereTranscribeModelConfig {
  const char* encoder;
  const char* decoder;
  const char* language;
  int32_t use_punct;
  int32_t use_itn;
} SherpaOnnxOfflineCohereTranscribeModelConfig;

typedef struct SherpaOnnxOfflineFireRedAsrModelConfig {
  const char* encoder;
  const char* decoder;
} SherpaOnnxOfflineFireRedAsrModelConfig;

typedef struct SherpaOnnxOfflineFireRedAsrCtcModelConfig {
  const char* model;
} SherpaOnnxOfflineFireRedAsrCtcModelConfig;

typedef struct SherpaOnnxOfflineMoonshineModelConfig {
  const char* preprocessor;
  const char* encoder;
  const char* uncached_decoder;
  const char* cached_decoder;
  const char* merged_decoder;
} SherpaOnnxOfflineMoonshineModelConfig;

typedef struct SherpaOnnxOfflineTdnnModelConfig {
  const char* model;
} SherpaOnnxOfflineTdnnModelConfig;

typedef struct SherpaOnnxOfflineLMConfig {
  const char* model;
  float scale;
} SherpaOnnxOfflineLMConfig;

typedef struct SherpaOnnxOfflineSenseVoiceModelConfig {
  const char* model;
  const char* language;  // "auto", "zh", "en", "ja", "ko", "yue"
  int32_t use_itn;
} SherpaOnnxOfflineSenseVoiceModelConfig;

typedef struct SherpaOnnxOfflineDolphinModelConfig {
  const char* model;
} SherpaOnnxOfflineDolphinModelConfig;

typedef struct SherpaOnnxOfflineZipformerCtcModelConfig {
  const char* model;
} SherpaOnnxOfflineZipformerCtcModelConfig;

typedef struct SherpaOnnxOfflineWenetCtcModelConfig {
  const char* model;
} SherpaOnnxOfflineWenetCtcModelConfig;

typedef struct SherpaOnnxOfflineOmnilingualAsrCtcModelConfig {
  const char* model;
} SherpaOnnxOfflineOmnilingualAsrCtcModelConfig;

typedef struct SherpaOnnxOfflineFunASRNanoModelConfig {
  const char* encoder_adaptor;
  const char* llm;
  const char* embedding;
  const char* tokenizer;
  const char* system_prompt;
  const char* user_prompt;
  int32_t max_new_tokens;
  float temperature;
  float top_p;
  int32_t seed;
  const char* language;
  int32_t itn;
  const char* hotwords;
} SherpaOnnxOfflineFunASRNanoModelConfig;

typedef struct SherpaOnnxOfflineQwen3ASRModelConfig {
  const char* conv_frontend;
  const char* encoder;
  const char* decoder;
  const char* tokenizer;
  int32_t max_total_len;
  int32_t max_new_tokens;
  float temperature;
  float top_p;
  int32_t seed;
  const char* hotwords;
} SherpaOnnxOfflineQwen3ASRModelConfig;

typedef struct SherpaOnnxOfflineMedAsrCtcModelConfig {
  const char* model;
} SherpaOnnxOfflineMedAsrCtcModelConfig;

typedef struct SherpaOnnxOfflineModelConfig {
  SherpaOnnxOfflineTransducerModelConfig transducer;
  SherpaOnnxOfflineParaformerModelConfig paraformer;
  SherpaOnnxOfflineNemoEncDecCtcModelConfig nemo_ctc;
  SherpaOnnxOfflineWhisperModelConfig whisper;
  SherpaOnnxOfflineTdnnModelConfig tdnn;

  const char* tokens;
  int32_t num_threads;
  int32_t debug;
  const char* provider;
  const char* model_type;
  const char* modeling_unit;
  const char* bpe_vocab;
  const char* telespeech_ctc;

  SherpaOnnxOfflineSenseVoiceModelConfig sense_voice;
  SherpaOnnxOfflineMoonshineModelConfig moonshine;
  SherpaOnnxOfflineFireRedAsrModelConfig fire_red_asr;
  SherpaOnnxOfflineDolphinModelConfig dolphin;
  SherpaOnnxOfflineZipformerCtcModelConfig zipformer_ctc;
  SherpaOnnxOfflineCanaryModelConfig canary;
  SherpaOnnxOfflineWenetCtcModelConfig wenet_ctc;
  SherpaOnnxOfflineOmnilingualAsrCtcModelConfig omnilingual;
  SherpaOnnxOfflineMedAsrCtcModelConfig medasr;
  SherpaOnnxOfflineFunASRNanoModelConfig funasr_nano;
  SherpaOnnxOfflineFireRedAsrCtcModelConfig fire_red_asr_ctc;
  SherpaOnnxOfflineQwen3ASRModelConfig qwen3_asr;
  SherpaOnnxOfflineCohereTranscribeModelConfig cohere_transcribe;
} SherpaOnnxOfflineModelConfig;

typedef struct SherpaOnnxOfflineRecognizerConfig {
  SherpaOnnxFeatureConfig feat_config;
  SherpaOnnxOfflineModelConfig model_config;
  SherpaOnnxOfflineLMConfig lm_config;

  const char* decoding_method;
  int32_t max_active_paths;
  const char* hotwords_file;
  float hotwords_score;
  const char* rule_fsts;
  const char* rule_fars;
  float blank_penalty;

  SherpaOnnxHomophoneReplacerConfig hr;
} SherpaOnnxOfflineRecognizerConfig;

// ---------------------------------------------------------------- recognizer and streams
typedef struct SherpaOnnxOfflineRecognizer SherpaOnnxOfflineRecognizer;
typedef struct SherpaOnnxOfflineStream SherpaOnnxOfflineStream;

// NULL when the configuration is invalid (missing files, no model selected, ...).
const SherpaOnnxOfflineRecognizer* SherpaOnnxCreateOfflineRecognizer(const SherpaOnnxOfflineRecognizerConfig* config);
void SherpaOnnxDestroyOfflineRecognizer(const SherpaOnnxOfflineRecognizer* recognizer);

const SherpaOnnxOfflineStream* SherpaOnnxCreateOfflineStream(const SherpaOnnxOfflineRecognizer* recognizer);
void SherpaOnnxDestroyOfflineStream(const SherpaOnnxOfflineStream* stream);

// The whole utterance, once per stream: mono samples in [-1, 1].
void SherpaOnnxAcceptWaveformOffline(const SherpaOnnxOfflineStream* stream, int32_t sample_rate,
                                     const float* samples, int32_t n);
void SherpaOnnxDecodeOfflineStream(const SherpaOnnxOfflineRecognizer* recognizer,
                                   const SherpaOnnxOfflineStream* stream);
// Several streams in one model run (SenseVoice pads them into one batch).
void SherpaOnnxDecodeMultipleOfflineStreams(const SherpaOnnxOfflineRecognizer* recognizer,
                                            const SherpaOnnxOfflineStream** streams, int32_t n);

// ---------------------------------------------------------------- results
// Owned by the library: free with SherpaOnnxDestroyOfflineRecognizerResult.
typedef struct SherpaOnnxOfflineRecognizerResult {
  const char* text;
  float* timestamps;
  int32_t count;
  const char* tokens;
  const char* const* tokens_arr;
  const char* json;
  const char* lang;     // SenseVoice: "<|zh|>"
  const char* emotion;  // SenseVoice: "<|HAPPY|>"
  const char* event;    // SenseVoice: "<|Speech|>"
  float* durations;
  float* ys_log_probs;
  const float* segment_timestamps;
  const float* segment_durations;
  const char* segment_texts;
  const char* const* segment_texts_arr;
  int32_t segment_count;
} SherpaOnnxOfflineRecognizerResult;

const SherpaOnnxOfflineRecognizerResult* SherpaOnnxGetOfflineStreamResult(const SherpaOnnxOfflineStream* stream);
void SherpaOnnxDestroyOfflineRecognizerResult(const SherpaOnnxOfflineRecognizerResult* r);

// ---------------------------------------------------------------- offline TTS
// Every model family's struct in full and in order, though we fill only VITS (MeloTTS
// has its layout), Matcha and Kokoro. Layout checked against the 1.13.8 library's
// GetOfflineTtsConfig (objdump): it reads the offsets asserted below, the last at 0x1b8
// (silence_scale), and validates silence_scale in [0.01, 10].
typedef struct SherpaOnnxOfflineTtsVitsModelConfig {
  const char* model;
  const char* lexicon;
  const char* tokens;
  const char* data_dir;  // espeak-ng-data
  float noise_scale;
  float noise_scale_w;
  float length_scale;    // < 1 faster, > 1 slower
  const char* dict_dir;  // jieba's dict (MeloTTS, Chinese VITS with jieba=1)
} SherpaOnnxOfflineTtsVitsModelConfig;

typedef struct SherpaOnnxOfflineTtsMatchaModelConfig {
  const char* acoustic_model;
  const char* vocoder;
  const char* lexicon;
  const char* tokens;
  const char* data_dir;
  float noise_scale;
  float length_scale;
  const char* dict_dir;
} SherpaOnnxOfflineTtsMatchaModelConfig;

typedef struct SherpaOnnxOfflineTtsKokoroModelConfig {
  const char* model;
  const char* voices;
  const char* tokens;
  const char* data_dir;
  float length_scale;
  const char* dict_dir;
  const char* lexicon;  // several, comma-separated
  const char* lang;
} SherpaOnnxOfflineTtsKokoroModelConfig;

typedef struct SherpaOnnxOfflineTtsKittenModelConfig {
  const char* model;
  const char* voices;
  const char* tokens;
  const char* data_dir;
  float length_scale;
} SherpaOnnxOfflineTtsKittenModelConfig;

typedef struct SherpaOnnxOfflineTtsZipvoiceModelConfig {
  const char* tokens;
  const char* encoder;
  const char* decoder;
  const char* vocoder;
  const char* data_dir;
  const char* lexicon;
  float feat_scale;
  float t_shift;
  float target_rms;
  float guidance_scale;
} SherpaOnnxOfflineTtsZipvoiceModelConfig;

typedef struct SherpaOnnxOfflineTtsPocketModelConfig {
  const char* lm_flow;
  const char* lm_main;
  const char* encoder;
  const char* decoder;
  const char* text_conditioner;
  const char* vocab_json;
  const char* token_scores_json;
  int32_t voice_embedding_cache_capacity;
} SherpaOnnxOfflineTtsPocketModelConfig;

typedef struct SherpaOnnxOfflineTtsSupertonicModelConfig {
  const char* duration_predictor;
  const char* text_encoder;
  const char* vector_estimator;
  const char* vocoder;
  const char* tts_json;
  const char* unicode_indexer;
  const char* voice_style;
} SherpaOnnxOfflineTtsSupertonicModelConfig;

typedef struct SherpaOnnxOfflineTtsModelConfig {
  SherpaOnnxOfflineTtsVitsModelConfig vits;
  int32_t num_threads;
  int32_t debug;
  const char* provider;
  SherpaOnnxOfflineTtsMatchaModelConfig matcha;
  SherpaOnnxOfflineTtsKokoroModelConfig kokoro;
  SherpaOnnxOfflineTtsKittenModelConfig kitten;
  SherpaOnnxOfflineTtsZipvoiceModelConfig zipvoice;
  SherpaOnnxOfflineTtsPocketModelConfig pocket;
  SherpaOnnxOfflineTtsSupertonicModelConfig supertonic;
} SherpaOnnxOfflineTtsModelConfig;

typedef struct SherpaOnnxOfflineTtsConfig {
  SherpaOnnxOfflineTtsModelConfig model;
  const char* rule_fsts;  // comma-separated text-normalisation FSTs
  int32_t max_num_sentences;  // sentences per model run (and per callback)
  const char* rule_fars;
  float silence_scale;
} SherpaOnnxOfflineTtsConfig;

// Owned by the library: free with SherpaOnnxDestroyOfflineTtsGeneratedAudio.
typedef struct SherpaOnnxGeneratedAudio {
  const float* samples;  // mono, in [-1, 1]
  int32_t n;
  int32_t sample_rate;
} SherpaOnnxGeneratedAudio;

// Called with each model run's samples (valid during the call only); 0 stops generation.
typedef int32_t (*SherpaOnnxGeneratedAudioCallback)(const float* samples, int32_t n);
typedef int32_t (*SherpaOnnxGeneratedAudioCallbackWithArg)(const float* samples, int32_t n, void* arg);

typedef struct SherpaOnnxOfflineTts SherpaOnnxOfflineTts;

// NULL when the configuration is invalid (sherpa-onnx logs why).
const SherpaOnnxOfflineTts* SherpaOnnxCreateOfflineTts(const SherpaOnnxOfflineTtsConfig* config);
void SherpaOnnxDestroyOfflineTts(const SherpaOnnxOfflineTts* tts);
int32_t SherpaOnnxOfflineTtsSampleRate(const SherpaOnnxOfflineTts* tts);
int32_t SherpaOnnxOfflineTtsNumSpeakers(const SherpaOnnxOfflineTts* tts);

// The whole audio (also after a callback said stop: what was made until then).
const SherpaOnnxGeneratedAudio* SherpaOnnxOfflineTtsGenerate(const SherpaOnnxOfflineTts* tts, const char* text,
                                                             int32_t sid, float speed);
const SherpaOnnxGeneratedAudio* SherpaOnnxOfflineTtsGenerateWithCallback(const SherpaOnnxOfflineTts* tts,
                                                                         const char* text, int32_t sid, float speed,
                                                                         SherpaOnnxGeneratedAudioCallback callback);
const SherpaOnnxGeneratedAudio* SherpaOnnxOfflineTtsGenerateWithCallbackWithArg(
    const SherpaOnnxOfflineTts* tts, const char* text, int32_t sid, float speed,
    SherpaOnnxGeneratedAudioCallbackWithArg callback, void* arg);
void SherpaOnnxDestroyOfflineTtsGeneratedAudio(const SherpaOnnxGeneratedAudio* p);

}  // extern "C"

namespace xz::providers::sherpa_abi {

// The release these declarations match; any other library is refused at load.
inline constexpr const char* kVersion = "1.13.8";

// The 1.13.8 library's own offsets (x86-64, see the top of this file).
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, model_config) == 8);
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, model_config.whisper.enable_segment_timestamps) == 88);
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, model_config.tokens) == 104);
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, model_config.debug) == 116);
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, model_config.telespeech_ctc) == 152);
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, model_config.sense_voice.model) == 160);
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, model_config.sense_voice.use_itn) == 176);
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, model_config.canary.use_pnc) == 288);
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, model_config.funasr_nano.hotwords) == 400);
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, model_config.qwen3_asr.hotwords) == 472);
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, model_config.cohere_transcribe.use_itn) == 508);
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, lm_config) == 512);
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, decoding_method) == 528);
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, blank_penalty) == 576);
static_assert(offsetof(SherpaOnnxOfflineRecognizerConfig, hr.rule_fsts) == 600);
static_assert(sizeof(SherpaOnnxOfflineRecognizerConfig) == 608);
static_assert(offsetof(SherpaOnnxOfflineRecognizerResult, count) == 16);
static_assert(offsetof(SherpaOnnxOfflineRecognizerResult, json) == 40);
static_assert(offsetof(SherpaOnnxOfflineRecognizerResult, lang) == 48);
static_assert(offsetof(SherpaOnnxOfflineRecognizerResult, event) == 64);
static_assert(sizeof(SherpaOnnxOfflineRecognizerResult) == 128);

static_assert(offsetof(SherpaOnnxOfflineTtsConfig, model.vits.length_scale) == 0x28);
static_assert(offsetof(SherpaOnnxOfflineTtsConfig, model.num_threads) == 0x38);
static_assert(offsetof(SherpaOnnxOfflineTtsConfig, model.provider) == 0x40);
static_assert(offsetof(SherpaOnnxOfflineTtsConfig, model.matcha.acoustic_model) == 0x48);
static_assert(offsetof(SherpaOnnxOfflineTtsConfig, model.matcha.length_scale) == 0x74);
static_assert(offsetof(SherpaOnnxOfflineTtsConfig, model.kokoro.model) == 0x80);
static_assert(offsetof(SherpaOnnxOfflineTtsConfig, model.kokoro.length_scale) == 0xa0);
static_assert(offsetof(SherpaOnnxOfflineTtsConfig, model.zipvoice.lexicon) == 0x110);
static_assert(offsetof(SherpaOnnxOfflineTtsConfig, model.zipvoice.guidance_scale) == 0x124);
static_assert(offsetof(SherpaOnnxOfflineTtsConfig, model.pocket.voice_embedding_cache_capacity) == 0x160);
static_assert(offsetof(SherpaOnnxOfflineTtsConfig, rule_fsts) == 0x1a0);
static_assert(offsetof(SherpaOnnxOfflineTtsConfig, max_num_sentences) == 0x1a8);
static_assert(offsetof(SherpaOnnxOfflineTtsConfig, silence_scale) == 0x1b8);
static_assert(sizeof(SherpaOnnxOfflineTtsConfig) == 0x1c0);
static_assert(sizeof(SherpaOnnxGeneratedAudio) == 16);

}  // namespace xz::providers::sherpa_abi
