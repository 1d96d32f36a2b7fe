#pragma once
// The JSON that HTTP TTS vendors answer around their audio, and PaddleSpeech's
// streaming messages: pure readers of outside bytes (fuzzed in tests/fuzz/tts_vendor_bodies).
// Each returns the audio or throws std::runtime_error with the vendor's own words.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace xz::providers {

// Doubao's HTTP v1 answer: the base64 audio in "data"; throws "Doubao error <code>:
// <message>" without it.
std::string doubao_audio_field(const nlohmann::json& answer);

// Tencent's TextToVoice answer: Response.Audio; throws "Tencent error <Code>: <Message>"
// for Response.Error.
std::string tencent_audio_field(const nlohmann::json& answer);

// PaddleSpeech's HTTP answer: result.audio; throws "PaddleSpeech error: <message>" when
// success is not true.
std::string paddle_audio_field(const nlohmann::json& answer);

// One message of PaddleSpeech's streaming protocol: {"status": 0|1|2, "audio": base64,
// "session", "signal"}. Throws when it is not one, or its audio is not base64.
struct PaddleMessage {
  int status = 0;
  std::string audio;  // decoded PCM bytes (status 1)
  std::string session;
  std::string signal;
};
PaddleMessage parse_paddle_message(std::string_view text);

}  // namespace xz::providers
