#pragma once
// DashScope's duplex task protocol for CosyVoice streaming TTS (alibl_stream, spec §5E)
// as pure functions, for the engine and its fake: run-task / continue-task /
// finish-task out; task-started, result-generated, task-finished, task-failed in
// (JSON text), audio as binary frames.
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace xz::providers::dashscope {

struct WireError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TtsParams {
  std::string model = "cosyvoice-v2";
  std::string voice = "longxiaochun_v2";
  std::string format = "pcm";
  int sample_rate = 24000;
  int volume = 50;
  double rate = 1.0;
  double pitch = 1.0;
};

std::string run_task(const std::string& task_id, const TtsParams& p);
std::string continue_task(const std::string& task_id, std::string_view text);
std::string finish_task(const std::string& task_id);

struct Message {
  std::string action;  // client messages
  std::string event;   // server messages
  std::string task_id;
  std::string error_code, error_message;
  nlohmann::json payload;  // object or null
};
// Either direction; throws WireError when the text is not such a message.
Message parse_message(std::string_view text);
// A server event as the service writes it (for the fake).
std::string make_event(std::string_view event, std::string_view task_id, const nlohmann::json& payload = nullptr,
                       std::string_view error_code = {}, std::string_view error_message = {});

}  // namespace xz::providers::dashscope
