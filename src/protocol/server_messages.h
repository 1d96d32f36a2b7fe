#pragma once
// Server -> device JSON text messages (device-protocol.md §3.3, §3.6, §4.2, §5.1;
// reference-server.md §2.5), as compact JSON. Every message carries "type" and
// "session_id". Invalid UTF-8 in any text is replaced, never thrown.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocol/device_messages.h"

namespace xz::protocol {

struct UdpInfo {
  std::string server;
  int port;
  std::string key_hex, nonce_hex;
};

struct ServerHello {
  std::string session_id;
  std::string transport = "websocket";
  int version = 1;
  AudioParams audio_params{"opus", 24000, 1, 60};
  std::optional<UdpInfo> udp;  // MQTT+UDP hello only; sent with "encryption":"aes-128-ctr"
};

std::string make_server_hello(const ServerHello&);  // always has "transport"
std::string make_stt(std::string_view session_id, std::string_view text);
std::string make_tts_start(std::string_view session_id);
std::string make_tts_stop(std::string_view session_id);
std::string make_tts_sentence_start(std::string_view session_id, std::string_view text);
std::string make_llm_emotion(std::string_view session_id, std::string_view emotion, std::string_view emoji);
std::string make_mcp(std::string_view session_id, const nlohmann::json& payload);
std::string make_iot_commands(std::string_view session_id, const nlohmann::json& commands);
std::string make_pong(std::string_view session_id, std::string_view timestamp);
std::string make_goodbye(std::string_view session_id);
std::string make_alert(std::string_view session_id, std::string_view status, std::string_view message,
                       std::string_view emotion);

}  // namespace xz::protocol
