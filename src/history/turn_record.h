#pragma once
// One turn of a conversation as the chat history keeps it: what was said, which tools
// ran, how long each stage took, and optionally the user's audio.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xz::history {

struct ToolCallRecord {
  std::string name, arguments, result, action;
};

struct TurnRecord {
  std::string device_id, session_id;
  std::int64_t started_ms = 0;  // unix ms
  std::string kind;             // "user", "typed", "greeting", "goodbye"
  std::string user_text, assistant_text;
  std::vector<ToolCallRecord> tools;
  bool interrupted = false;
  std::optional<double> asr_ms, llm_first_token_ms, tts_first_audio_ms, first_frame_ms;  // from end of speech
  std::vector<std::string> user_audio_opus;  // uplink Opus packets of the utterance (only when enabled)
  std::vector<std::string> assistant_audio_opus;  // the reply's downlink Opus frames (manager reports only)
  // What the manager's chat report carries for this device (its chat_history_conf):
  // -1 = chat_history.upload_audio decides, 0 = no report, 1 = text, 2 = text and audio.
  int report_mode = -1;
  // Not a turn: the session ended. Not stored; the manager is asked for the session's
  // title (and, with save_summary, its memory summary) after the session's reports.
  bool session_end = false;
  bool save_summary = false;
};

// A turn read back from the database. The audio itself is not loaded with it
// (see HistoryRepository::audio); only its size is.
struct StoredTurn {
  std::int64_t id = 0;
  TurnRecord turn;
  std::size_t audio_packets = 0;
  std::size_t audio_bytes = 0;
};

}  // namespace xz::history
