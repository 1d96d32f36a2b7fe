#include "providers/asr/nls_transcriber_wire.h"

#include "protocol/encoding.h"
#include "providers/tts/python_dumps.h"

namespace xz::providers::nls_transcriber {

using ojson = nlohmann::ordered_json;

namespace {

ojson header(const std::string& task_id, const std::string& message_id, const char* name, const std::string& appkey) {
  ojson h = ojson::object();
  h["namespace"] = "SpeechTranscriber";
  h["name"] = name;
  h["message_id"] = message_id;
  h["task_id"] = task_id;
  h["appkey"] = appkey;
  return h;
}

}  // namespace

std::string start_transcription(const std::string& task_id, const std::string& message_id, const Params& p) {
  ojson payload = ojson::object();
  payload["format"] = "pcm";
  payload["sample_rate"] = 16000;
  payload["enable_intermediate_result"] = true;
  payload["enable_punctuation_prediction"] = true;
  payload["enable_inverse_text_normalization"] = true;
  payload["max_sentence_silence"] = p.max_sentence_silence ? ojson(*p.max_sentence_silence) : ojson(nullptr);
  payload["enable_voice_detection"] = false;
  ojson m = ojson::object();
  m["header"] = header(task_id, message_id, "StartTranscription", p.appkey);
  m["payload"] = std::move(payload);
  return python_dumps(m);
}

std::string stop_transcription(const std::string& task_id, const std::string& message_id, const std::string& appkey) {
  ojson m = ojson::object();
  m["header"] = header(task_id, message_id, "StopTranscription", appkey);
  return python_dumps(m);
}

std::string make_event(std::string_view name, std::string_view task_id, const nlohmann::json& payload, long long status,
                       std::string_view status_text) {
  nlohmann::json h = {{"namespace", "SpeechTranscriber"},
                      {"name", std::string(name)},
                      {"status", status},
                      {"message_id", protocol::hex_encode(protocol::random_bytes(16))},
                      {"task_id", std::string(task_id)},
                      {"status_text", std::string(status_text)}};
  nlohmann::json m = {{"header", std::move(h)}};
  m["payload"] = payload.is_null() ? nlohmann::json::object() : payload;
  return m.dump();
}

bool ignorable_status(long long status) { return status == 40270002 || status == 40270003; }

}  // namespace xz::providers::nls_transcriber
