#include "history/history_format.h"

#include <ctime>

#include <fmt/format.h>

namespace xz::history {

namespace {

// Continuation lines start under the text column (19 + 2 + 20 + 1 characters).
constexpr std::size_t kTextColumn = 42;

std::string time_text(std::int64_t unix_ms, const std::optional<int>& offset_minutes) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  if (offset_minutes) {
    t += static_cast<std::time_t>(*offset_minutes) * 60;
    gmtime_r(&t, &tm);
  } else {
    localtime_r(&t, &tm);
  }
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// Continuation lines of a multi-line text line up under its first line.
std::string indented(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\r') continue;
    out.push_back(c);
    if (c == '\n') out += std::string(kTextColumn, ' ');
  }
  return out;
}

std::string shortened(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t cut = max;
  // Do not split a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

std::string timings_text(const TurnRecord& t) {
  std::string out;
  auto add = [&](const char* name, const std::optional<double>& ms) {
    if (!ms) return;
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {:.0f} ms", name, *ms);
  };
  add("asr", t.asr_ms);
  add("llm first token", t.llm_first_token_ms);
  add("tts first audio", t.tts_first_audio_ms);
  add("first frame", t.first_frame_ms);
  return out;
}

std::string user_label(const TurnRecord& t) { return t.kind == "typed" ? "user (typed)" : "user"; }

// Turns the server started itself (greeting, goodbye) say so on the answer.
std::string assistant_label(const TurnRecord& t) {
  if (t.kind.empty() || t.kind == "user" || t.kind == "typed") return "assistant";
  return "assistant (" + t.kind + ")";
}

}  // namespace

std::string format_history(std::string_view device_id, const std::vector<StoredTurn>& turns,
                           const HistoryFormatOptions& opts) {
  if (turns.empty()) return fmt::format("no chat history for device {}\n", device_id);
  std::string out = fmt::format("chat history of device {}: {} turn(s), oldest first\n", device_id, turns.size());
  std::string session;
  bool first = true;
  for (const auto& s : turns) {
    const auto& t = s.turn;
    if (first || t.session_id != session) {
      session = t.session_id;
      out += fmt::format("\n== session {} ==\n", session.empty() ? "-" : session);
    }
    first = false;
    const std::string when = time_text(t.started_ms, opts.utc_offset_minutes);
    bool lead = true;  // the first line of a turn carries its time
    auto line = [&](std::string_view role, std::string_view text) {
      out += fmt::format("{:<19}  {:<20} {}\n", lead ? when : std::string(), role, indented(text));
      lead = false;
    };
    if (!t.user_text.empty()) line(user_label(t), t.user_text);
    for (const auto& c : t.tools) {
      line("tool call", fmt::format("{}({})", c.name, shortened(c.arguments, opts.max_tool_text)));
      line("tool done", fmt::format("{}{}", c.action.empty() ? "" : "[" + c.action + "] ",
                                    shortened(c.result, opts.max_tool_text)));
    }
    if (!t.assistant_text.empty() || t.interrupted)
      line(assistant_label(t), t.assistant_text + (t.interrupted ? " [interrupted]" : ""));
    if (auto timing = timings_text(t); !timing.empty()) line("timings", timing);
    if (s.audio_packets > 0)
      line("audio", fmt::format("{} Opus packets, {} bytes", s.audio_packets, s.audio_bytes));
    if (lead) line(t.kind.empty() ? "turn" : t.kind, "(nothing said)");
  }
  return out;
}

}  // namespace xz::history
