#include "history/manager_report.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "audio/opus_decoder.h"
#include "audio/wav.h"
#include "protocol/encoding.h"

namespace xz::history {

namespace {

// The reference reports a call as [{"type":"tool","text":"name({json})"}].
std::string tool_call_content(const ToolCallRecord& c) {
  auto args = c.arguments.empty() ? std::string("{}") : c.arguments;
  return nlohmann::json::array({{{"type", "tool"}, {"text", c.name + "(" + args + ")"}}}).dump();
}

// ... and its result as [{"type":"tool_result","text":"{\"result\":\"...\"}"}].
std::string tool_result_content(const ToolCallRecord& c) {
  nlohmann::json inner = {{"result", c.result}};
  if (!c.action.empty()) inner["action"] = c.action;
  return nlohmann::json::array({{{"type", "tool_result"}, {"text", inner.dump()}}}).dump();
}

}  // namespace

std::vector<ManagerReport> reports_for_turn(const TurnRecord& turn, std::optional<std::string> user_wav,
                                            std::optional<std::string> agent_wav) {
  std::vector<ManagerReport> out;
  std::int64_t t = turn.started_ms;
  auto add = [&](ChatType type, std::string content, std::optional<std::string> wav = {}) {
    if (!out.empty()) t = std::max(t, out.back().report_time_ms + 1);
    out.push_back({turn.device_id, turn.session_id, type, std::move(content), t, std::move(wav), ManagerReport::Kind::chat});
  };
  if (!turn.user_text.empty()) add(ChatType::user, turn.user_text, std::move(user_wav));
  for (const auto& c : turn.tools) {
    add(ChatType::tool, tool_call_content(c));
    add(ChatType::tool, tool_result_content(c));
  }
  if (!turn.assistant_text.empty()) {
    // The answer is reported when it started playing, when that is known.
    if (turn.first_frame_ms && std::isfinite(*turn.first_frame_ms) && *turn.first_frame_ms > 0)
      t = std::max(t, turn.started_ms + static_cast<std::int64_t>(std::llround(*turn.first_frame_ms)));
    add(ChatType::agent, turn.assistant_text, std::move(agent_wav));
  }
  return out;
}

std::string report_path(const ManagerReport& r) {
  switch (r.kind) {
    case ManagerReport::Kind::title: return "/agent/chat-title/" + r.session_id + "/generate";
    case ManagerReport::Kind::summary: return "/agent/chat-summary/" + r.session_id + "/save";
    case ManagerReport::Kind::chat: break;
  }
  return "/agent/chat-history/report";
}

std::string report_body(const ManagerReport& r) {
  nlohmann::json body = {{"macAddress", r.mac_address},
                         {"sessionId", r.session_id},
                         {"chatType", static_cast<int>(r.chat_type)},
                         {"content", r.content},
                         {"reportTime", r.report_time_ms},
                         {"audioBase64", nullptr}};
  if (r.audio_wav) body["audioBase64"] = protocol::base64_encode(*r.audio_wav);
  // Replace keeps a report with broken UTF-8 (a cut transcript) sendable.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::string> opus_packets_to_wav(const std::vector<std::string>& packets) {
  audio::OpusDecoder decoder(16000, 1);
  std::vector<std::int16_t> pcm;
  bool any = false;
  for (const auto& p : packets) {
    if (p.empty()) continue;  // an empty packet would ask for loss concealment
    auto frame = decoder.decode(p);
    if (!frame) continue;
    any = true;
    pcm.insert(pcm.end(), frame->begin(), frame->end());
  }
  if (!any) return std::nullopt;
  return audio::make_wav(pcm, 16000, 1);
}

}  // namespace xz::history
