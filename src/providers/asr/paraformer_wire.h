#pragma once
// DashScope Paraformer real-time recognition (aliyunbl_stream, spec §5D): the run-task
// message and the sentence of a result-generated event, as pure functions for the engine
// and its fake. The task envelope (finish-task, event headers, task-failed) is DashScope's
// duplex protocol shared with CosyVoice TTS (providers/tts/dashscope_wire.h).
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace xz::providers::paraformer {

struct Params {
  std::string model = "paraformer-realtime-v2";
  int sample_rate = 16000;
  std::string format = "pcm";
  std::optional<std::string> vocabulary_id;
  nlohmann::json language_hints;  // sent when set (an array such as ["zh", "en"])
  bool disfluency_removal_enabled = false;
  bool semantic_punctuation_enabled = false;
  int max_sentence_silence = 200;
  bool multi_threshold_mode_enabled = false;
  bool punctuation_prediction_enabled = true;
  bool inverse_text_normalization_enabled = true;
};

// run-task as the reference writes it (json.dumps spacing); vocabulary_id is sent, null
// when unset, for models whose name ends with "v2".
std::string run_task(const std::string& task_id, const Params& p);

struct Sentence {
  std::string text;
  bool final = false;  // sentence_end and a non-null end_time, as the reference decides
  bool heartbeat = false;
};
// The sentence of a result-generated payload; nullopt when it has none.
std::optional<Sentence> sentence_of(const nlohmann::json& payload);
// A result-generated payload as the service writes it (for the fake).
nlohmann::json result_payload(std::string_view text, bool final, long long begin_ms, long long end_ms);

}  // namespace xz::providers::paraformer
