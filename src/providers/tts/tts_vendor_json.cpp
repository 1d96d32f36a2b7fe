#include "providers/tts/tts_vendor_json.h"

#include <stdexcept>

#include <fmt/format.h>

#include "protocol/encoding.h"
#include "protocol/json_text.h"
#include "providers/llm/llm_config_wire.h"

namespace xz::providers {

using json = nlohmann::json;

std::string doubao_audio_field(const json& answer) {
  if (answer.is_object()) {
    auto data = answer.find("data");
    if (data != answer.end() && data->is_string()) return data->get<std::string>();
  }
  const auto code = answer.is_object() && answer.contains("code") ? answer["code"].dump() : std::string("?");
  const auto msg = answer.is_object() && answer.contains("message") && answer["message"].is_string()
                       ? answer["message"].get<std::string>()
                       : std::string("no audio in the answer");
  throw std::runtime_error(fmt::format("Doubao error {}: {}", code, msg));
}

std::string tencent_audio_field(const json& answer) {
  const json* response = answer.is_object() && answer.contains("Response") ? &answer["Response"] : nullptr;
  if (response && response->is_object()) {
    if (auto err = response->find("Error"); err != response->end() && err->is_object()) {
      throw std::runtime_error(fmt::format("Tencent error {}: {}", wire::string_at(*err, "Code", "?"),
                                           wire::string_at(*err, "Message", "(no message)")));
    }
    if (auto audio = response->find("Audio"); audio != response->end() && audio->is_string() &&
                                                              !audio->get_ref<const std::string&>().empty())
      return audio->get<std::string>();
  }
  throw std::runtime_error("Tencent answer without Response.Audio");
}

PaddleMessage parse_paddle_message(std::string_view text) {
  const json j = protocol::parse_json_text(text);
  if (!j.is_object()) throw std::runtime_error("a message that is not a JSON object");
  auto status = j.find("status");
  if (status == j.end() || !status->is_number_integer())
    throw std::runtime_error(fmt::format("a message without a status: {}", llm_config::shorten(text, 120)));
  PaddleMessage m;
  m.status = status->get<int>();
  m.session = wire::string_at(j, "session");
  m.signal = wire::string_at(j, "signal");
  if (auto a = j.find("audio"); a != j.end() && a->is_string()) {
    auto bytes = protocol::base64_decode(a->get_ref<const std::string&>());
    if (!bytes) throw std::runtime_error("audio that is not base64");
    m.audio = std::move(*bytes);
  }
  return m;
}

std::string paddle_audio_field(const json& answer) {
  if (wire::bool_at(answer, "success")) {
    auto result = answer.find("result");
    if (result != answer.end() && result->is_object()) {
      auto audio = result->find("audio");
      if (audio != result->end() && audio->is_string()) return audio->get<std::string>();
    }
  }
  const json* msg = answer.is_object() && answer.contains("message") ? &answer["message"] : nullptr;
  throw std::runtime_error(fmt::format(
      "PaddleSpeech error: {}", !msg ? std::string("no audio in the answer")
                                     : msg->is_string() ? msg->get<std::string>() : llm_config::shorten(msg->dump())));
}

}  // namespace xz::providers
