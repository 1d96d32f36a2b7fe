#pragma once
// The one-shot ASR vendors' answers, as pure functions over their bytes (for the engines,
// their fakes and the fuzz targets). Each returns what the engine needs or throws
// AnswerError with the vendor's own message ("AuthFailure.SignatureFailure: ...").
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "providers/asr/asr.h"

namespace xz::providers::asr_answers {

struct AnswerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The message of an OpenAI-style error body ({"error":{"message"}}, {"error":"..."},
// {"message"}, DashScope's {"code","message"}), else the body itself, shortened.
std::string error_message(std::string_view body);

// DashScope compatible-mode chat completion (qwen3-asr-flash): choices[0].message.content
// (a string, or a list of {"text"} parts), and its audio_info annotation's language and
// emotion when present.
AsrResult qwen3_answer(std::string_view body);

// One FunASR runtime server message: its text (may hold SenseVoice tags) and whether it
// ends the answer (a missing is_final counts as final, as the reference reads it).
struct FunAsrMessage {
  std::string text;
  bool is_final = true;
  std::string mode;
};
FunAsrMessage funasr_message(std::string_view text);

// Tencent Cloud API 3.0 SentenceRecognition: Response.Result, or Response.Error's
// "Code: Message".
std::string tencent_answer(std::string_view body);
// The message of a non-2xx Tencent answer: Response.Error's "Code: Message" when it has
// one, else as error_message().
std::string tencent_error(std::string_view body);

// Baidu's OAuth token answer: access_token and expires_in (seconds), or its
// "error: error_description".
struct BaiduToken {
  std::string access_token;
  std::int64_t expires_in = 0;
};
BaiduToken baidu_token_answer(std::string_view body);
// Baidu short-speech recognition (vop server_api): result[0] when err_no is 0, else
// "err_no: err_msg" (3301 "speech quality error" included: the caller decides).
struct BaiduResult {
  long long err_no = 0;
  std::string err_msg;
  std::string text;
};
BaiduResult baidu_answer(std::string_view body);

// Aliyun NLS one-sentence recognition (/stream/v1/asr): result when status is 20000000,
// else "status: message".
std::string aliyun_answer(std::string_view body);

}  // namespace xz::providers::asr_answers
