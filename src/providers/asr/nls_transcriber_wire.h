#pragma once
// Aliyun NLS real-time recognition (SpeechTranscriber, aliyun_stream ASR, spec §5B): the
// client messages and, for the fake, the server events. Events are read with
// aliyun::parse_event (providers/tts/aliyun_wire.h), which the TTS engine shares.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace xz::providers::nls_transcriber {

struct Params {
  std::string appkey;
  std::optional<int> max_sentence_silence;  // null when unset, as the reference sends it
};

// StartTranscription / StopTranscription as the reference writes them (json.dumps).
std::string start_transcription(const std::string& task_id, const std::string& message_id, const Params& p);
std::string stop_transcription(const std::string& task_id, const std::string& message_id, const std::string& appkey);

// An event as the gateway writes it (for the fake).
std::string make_event(std::string_view name, std::string_view task_id, const nlohmann::json& payload = nullptr,
                       long long status = 20000000, std::string_view status_text = "Gateway:SUCCESS:Success.");

// Status codes the reference ignores (audio problems the service reports but survives).
bool ignorable_status(long long status);

}  // namespace xz::providers::nls_transcriber
