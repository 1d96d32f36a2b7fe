#include "protocol/server_messages.h"

namespace xz::protocol {
namespace {

// Insertion-ordered, so messages read like the spec's examples.
using Ordered = nlohmann::ordered_json;

std::string dump(const Ordered& j) { return j.dump(-1, ' ', false, Ordered::error_handler_t::replace); }

Ordered envelope(std::string_view session_id, std::string_view type) {
  Ordered j;
  j["session_id"] = std::string(session_id);
  j["type"] = std::string(type);
  return j;
}

std::string tts(std::string_view session_id, std::string_view state) {
  Ordered j = envelope(session_id, "tts");
  j["state"] = std::string(state);
  return dump(j);
}

}  // namespace

std::string make_server_hello(const ServerHello& h) {
  Ordered j;
  j["type"] = "hello";
  j["version"] = h.version;
  j["transport"] = h.transport;
  j["session_id"] = h.session_id;
  j["audio_params"] = {{"format", h.audio_params.format},
                       {"sample_rate", h.audio_params.sample_rate},
                       {"channels", h.audio_params.channels},
                       {"frame_duration", h.audio_params.frame_duration}};
  if (h.udp) {
    j["udp"] = {{"server", h.udp->server},
                {"port", h.udp->port},
                {"encryption", "aes-128-ctr"},
                {"key", h.udp->key_hex},
                {"nonce", h.udp->nonce_hex}};
  }
  return dump(j);
}

std::string make_stt(std::string_view session_id, std::string_view text) {
  Ordered j = envelope(session_id, "stt");
  j["text"] = std::string(text);
  return dump(j);
}

std::string make_tts_start(std::string_view session_id) { return tts(session_id, "start"); }

std::string make_tts_stop(std::string_view session_id) { return tts(session_id, "stop"); }

std::string make_tts_sentence_start(std::string_view session_id, std::string_view text) {
  Ordered j = envelope(session_id, "tts");
  j["state"] = "sentence_start";
  j["text"] = std::string(text);
  return dump(j);
}

std::string make_llm_emotion(std::string_view session_id, std::string_view emotion, std::string_view emoji) {
  Ordered j = envelope(session_id, "llm");
  j["text"] = std::string(emoji);
  j["emotion"] = std::string(emotion);
  return dump(j);
}

std::string make_mcp(std::string_view session_id, const nlohmann::json& payload) {
  Ordered j = envelope(session_id, "mcp");
  j["payload"] = Ordered(payload);
  return dump(j);
}

std::string make_iot_commands(std::string_view session_id, const nlohmann::json& commands) {
  Ordered j = envelope(session_id, "iot");
  j["commands"] = Ordered(commands);
  return dump(j);
}

std::string make_pong(std::string_view session_id, std::string_view timestamp) {
  Ordered j = envelope(session_id, "pong");
  j["timestamp"] = std::string(timestamp);
  return dump(j);
}

std::string make_goodbye(std::string_view session_id) { return dump(envelope(session_id, "goodbye")); }

std::string make_alert(std::string_view session_id, std::string_view status, std::string_view message,
                       std::string_view emotion) {
  Ordered j = envelope(session_id, "alert");
  j["status"] = std::string(status);
  j["message"] = std::string(message);
  j["emotion"] = std::string(emotion);
  return dump(j);
}

}  // namespace xz::protocol
