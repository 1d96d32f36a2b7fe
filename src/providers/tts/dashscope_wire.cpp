#include "providers/tts/dashscope_wire.h"

#include "protocol/json_text.h"
#include "providers/tts/python_dumps.h"

namespace xz::providers::dashscope {

using ojson = nlohmann::ordered_json;

namespace {

ojson header(std::string_view action, const std::string& task_id) {
  ojson h = ojson::object();
  h["action"] = std::string(action);
  h["task_id"] = task_id;
  h["streaming"] = "duplex";
  return h;
}

std::string field(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string run_task(const std::string& task_id, const TtsParams& p) {
  ojson params = ojson::object();
  params["text_type"] = "PlainText";
  params["voice"] = p.voice;
  params["format"] = p.format;
  params["sample_rate"] = p.sample_rate;
  params["volume"] = p.volume;
  params["rate"] = p.rate;
  params["pitch"] = p.pitch;
  ojson payload = ojson::object();
  payload["task_group"] = "audio";
  payload["task"] = "tts";
  payload["function"] = "SpeechSynthesizer";
  payload["model"] = p.model;
  payload["parameters"] = std::move(params);
  payload["input"] = ojson::object();
  ojson m = ojson::object();
  m["header"] = header("run-task", task_id);
  m["payload"] = std::move(payload);
  return python_dumps(m);
}

std::string continue_task(const std::string& task_id, std::string_view text) {
  ojson m = ojson::object();
  m["header"] = header("continue-task", task_id);
  m["payload"] = ojson{{"input", ojson{{"text", std::string(text)}}}};
  return python_dumps(m);
}

std::string finish_task(const std::string& task_id) {
  ojson m = ojson::object();
  m["header"] = header("finish-task", task_id);
  m["payload"] = ojson{{"input", ojson::object()}};
  return python_dumps(m);
}

Message parse_message(std::string_view text) {
  auto j = protocol::parse_json_text(text);
  if (!j.is_object()) throw WireError("not a JSON object");
  auto h = j.find("header");
  if (h == j.end() || !h->is_object()) throw WireError("no header");
  Message m;
  m.action = field(*h, "action");
  m.event = field(*h, "event");
  m.task_id = field(*h, "task_id");
  m.error_code = field(*h, "error_code");
  m.error_message = field(*h, "error_message");
  if (m.action.empty() && m.event.empty()) throw WireError("the header has neither action nor event");
  if (auto p = j.find("payload"); p != j.end()) m.payload = *p;
  return m;
}

std::string make_event(std::string_view event, std::string_view task_id, const nlohmann::json& payload,
                       std::string_view error_code, std::string_view error_message) {
  nlohmann::json h = {{"task_id", std::string(task_id)}, {"event", std::string(event)}, {"attributes", nlohmann::json::object()}};
  if (!error_code.empty()) h["error_code"] = std::string(error_code);
  if (!error_message.empty()) h["error_message"] = std::string(error_message);
  return nlohmann::json{{"header", std::move(h)}, {"payload", payload.is_null() ? nlohmann::json::object() : payload}}.dump();
}

}  // namespace xz::providers::dashscope
