#pragma once
// The reference's chat-history reports (POST {manager-api.url}/agent/chat-history/report):
// one per message, chatType 1 = user, 2 = agent, 3 = tool call / tool result, with the
// report time in unix milliseconds and the user's audio as a base64 WAV (or null).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "history/turn_record.h"

namespace xz::history {

enum class ChatType : int { user = 1, agent = 2, tool = 3 };

struct ManagerReport {
  std::string mac_address;  // the device id
  std::string session_id;
  ChatType chat_type = ChatType::user;
  std::string content;
  std::int64_t report_time_ms = 0;
  std::optional<std::string> audio_wav;  // WAV bytes; null in the body when absent
  // Not a chat report: at the session's end, POST /agent/chat-title/{sessionId}/generate
  // or /agent/chat-summary/{sessionId}/save, without a body.
  enum class Kind { chat, title, summary } kind = Kind::chat;
};

// The path under manager-api.url a report goes to.
std::string report_path(const ManagerReport& report);

// The reports of one turn, in the order the reference sends them: the user's words
// (with `user_wav` when given), each tool call followed by its result, then the
// agent's answer. Report times increase by at least 1 ms along that order, starting
// at the turn's start. Empty texts are not reported.
std::vector<ManagerReport> reports_for_turn(const TurnRecord& turn, std::optional<std::string> user_wav = {},
                                            std::optional<std::string> agent_wav = {});

// The JSON body of one report.
std::string report_body(const ManagerReport& report);

// Decodes uplink Opus packets (16 kHz mono) into a WAV. Corrupt packets are skipped;
// std::nullopt when nothing decodes. CPU work (~35 us per packet): not on a loop.
std::optional<std::string> opus_packets_to_wav(const std::vector<std::string>& packets);

}  // namespace xz::history
