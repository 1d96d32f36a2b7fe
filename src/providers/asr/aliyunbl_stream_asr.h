#pragma once
// Alibaba DashScope (Bailian) Paraformer real-time recognition, `aliyunbl_stream` (spec
// §5D): one WebSocket per utterance, Authorization: Bearer; run-task, binary PCM after
// task-started, finish-task; result-generated sentences (final when sentence_end with an
// end_time), task-finished ends the utterance, task-failed fails it. A dropped utterance
// sends finish-task and closes, as the reference's clean-up does.
//
// Config keys (the reference's): api_key, model (paraformer-realtime-v2), format (pcm),
// sample_rate (16000: the pipeline's rate, the only one accepted), vocabulary_id,
// language_hints, disfluency_removal_enabled, semantic_punctuation_enabled,
// max_sentence_silence (200, 200-6000 ms), multi_threshold_mode_enabled,
// punctuation_prediction_enabled, inverse_text_normalization_enabled, heartbeat and
// output_dir (accepted). Ours: endpoint (wss://dashscope.aliyuncs.com/api-ws/v1/inference;
// ws:// accepted), timeout (seconds, 10), ca_file.
#include <memory>

#include "providers/asr/asr.h"
#include "providers/provider_context.h"

namespace xz::providers {

class AliyunBlStreamAsr : public AsrEngine {
 public:
  // Throws EngineConfigError naming the key.
  AliyunBlStreamAsr(const EngineConfig& cfg, ProviderContext& ctx);
  ~AliyunBlStreamAsr() override;

  boost::asio::awaitable<std::unique_ptr<AsrStream>> open() override;

  struct Settings;

 private:
  std::shared_ptr<const Settings> settings_;
};

}  // namespace xz::providers
