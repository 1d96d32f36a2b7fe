#include "history/history_repository.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>

#include "history/opus_packets.h"
#include "protocol/encoding.h"

namespace xz::history {

namespace {

using store::Database;
using store::Statement;

std::optional<std::int64_t> to_us(const std::optional<double>& ms) {
  if (!ms || !std::isfinite(*ms)) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(*ms * 1000.0));
}

std::optional<double> to_ms(const std::optional<std::int64_t>& us) {
  if (!us) return std::nullopt;
  return static_cast<double>(*us) / 1000.0;
}

// Statement binds text only; a blob goes in as an X'..' literal, which SQLite stores
// byte for byte (hex digits cannot break out of the literal).
std::string blob_literal(std::string_view bytes) { return "X'" + protocol::hex_encode(bytes) + "'"; }

std::int64_t insert_turn(Database& db, const TurnRecord& t) {
  db.prepare(
        "INSERT INTO chat_turns (device_id, session_id, started_ms, kind, user_text, assistant_text, interrupted, "
        "asr_us, llm_first_token_us, tts_first_audio_us, first_frame_us) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")
      .bind(1, t.device_id)
      .bind(2, t.session_id)
      .bind(3, t.started_ms)
      .bind(4, t.kind)
      .bind(5, t.user_text)
      .bind(6, t.assistant_text)
      .bind(7, std::int64_t{t.interrupted ? 1 : 0})
      .bind(8, to_us(t.asr_ms))
      .bind(9, to_us(t.llm_first_token_ms))
      .bind(10, to_us(t.tts_first_audio_ms))
      .bind(11, to_us(t.first_frame_ms))
      .run();
  auto id = db.prepare("SELECT last_insert_rowid()");
  id.step();
  return id.int64(0);
}

void insert_tools(Database& db, std::int64_t turn_id, const std::vector<ToolCallRecord>& tools) {
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const auto& c = tools[i];
    db.prepare(
          "INSERT INTO chat_tool_calls (turn_id, seq, name, arguments, result, action) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(1, turn_id)
        .bind(2, static_cast<std::int64_t>(i))
        .bind(3, c.name)
        .bind(4, c.arguments)
        .bind(5, c.result)
        .bind(6, c.action)
        .run();
  }
}

void insert_audio(Database& db, std::int64_t turn_id, const std::vector<std::string>& packets) {
  if (packets.empty()) return;
  const std::string data = pack_opus_packets(packets);
  db.prepare("INSERT INTO chat_turn_audio (turn_id, codec, sample_rate, packets, data) VALUES (?1, 'opus', 16000, ?2, " +
             blob_literal(data) + ")")
      .bind(1, turn_id)
      .bind(2, static_cast<std::int64_t>(packets.size()))
      .run();
}

void keep_newest(Database& db, std::string_view device_id, std::size_t keep) {
  const auto limit = static_cast<std::int64_t>(std::min<std::size_t>(keep, std::numeric_limits<std::int64_t>::max()));
  db.prepare(
        "DELETE FROM chat_turns WHERE device_id = ?1 AND id NOT IN ("
        "  SELECT id FROM chat_turns WHERE device_id = ?1 ORDER BY started_ms DESC, id DESC LIMIT ?2)")
      .bind(1, device_id)
      .bind(2, limit)
      .run();
}

}  // namespace

void HistoryRepository::insert(std::span<const TurnRecord> turns, std::size_t max_turns_per_device,
                               bool with_audio) {
  for (const auto& t : turns)
    if (t.device_id.empty()) throw std::invalid_argument("chat history: a turn without a device id");
  store::Transaction tx(db_);
  std::set<std::string_view> devices;
  for (const auto& t : turns) {
    const auto id = insert_turn(db_, t);
    insert_tools(db_, id, t.tools);
    if (with_audio) insert_audio(db_, id, t.user_audio_opus);
    devices.insert(t.device_id);
  }
  if (max_turns_per_device > 0)
    for (auto d : devices) keep_newest(db_, d, max_turns_per_device);
  tx.commit();
}

std::vector<StoredTurn> HistoryRepository::recent(std::string_view device_id, std::size_t limit) {
  auto st = db_.prepare(
      "SELECT t.id, t.device_id, t.session_id, t.started_ms, t.kind, t.user_text, t.assistant_text, t.interrupted, "
      "       t.asr_us, t.llm_first_token_us, t.tts_first_audio_us, t.first_frame_us, "
      "       COALESCE(a.packets, 0), COALESCE(length(a.data), 0) "
      "FROM chat_turns t LEFT JOIN chat_turn_audio a ON a.turn_id = t.id "
      "WHERE t.device_id = ?1 ORDER BY t.started_ms DESC, t.id DESC LIMIT ?2");
  st.bind(1, device_id);
  st.bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max())));
  std::vector<StoredTurn> out;
  while (st.step()) {
    StoredTurn s;
    s.id = st.int64(0);
    auto& t = s.turn;
    t.device_id = st.text(1);
    t.session_id = st.text(2);
    t.started_ms = st.int64(3);
    t.kind = st.text(4);
    t.user_text = st.text(5);
    t.assistant_text = st.text(6);
    t.interrupted = st.int64(7) != 0;
    t.asr_ms = to_ms(st.optional_int64(8));
    t.llm_first_token_ms = to_ms(st.optional_int64(9));
    t.tts_first_audio_ms = to_ms(st.optional_int64(10));
    t.first_frame_ms = to_ms(st.optional_int64(11));
    s.audio_packets = static_cast<std::size_t>(st.int64(12));
    // The blob holds a 2-byte length before each packet.
    auto blob = static_cast<std::size_t>(st.int64(13));
    s.audio_bytes = blob >= 2 * s.audio_packets ? blob - 2 * s.audio_packets : 0;
    out.push_back(std::move(s));
  }
  // Read newest first (for the limit), shown oldest first.
  std::reverse(out.begin(), out.end());
  for (auto& s : out) {
    auto tools = db_.prepare(
        "SELECT name, arguments, result, action FROM chat_tool_calls WHERE turn_id = ?1 ORDER BY seq");
    tools.bind(1, s.id);
    while (tools.step()) s.turn.tools.push_back({tools.text(0), tools.text(1), tools.text(2), tools.text(3)});
  }
  return out;
}

std::vector<std::string> HistoryRepository::audio(std::int64_t turn_id) {
  auto st = db_.prepare("SELECT data FROM chat_turn_audio WHERE turn_id = ?1");
  st.bind(1, turn_id);
  if (!st.step()) return {};
  return unpack_opus_packets(st.text(0));
}

std::size_t HistoryRepository::count(std::string_view device_id) {
  auto st = db_.prepare("SELECT COUNT(*) FROM chat_turns WHERE device_id = ?1");
  st.bind(1, device_id);
  st.step();
  return static_cast<std::size_t>(st.int64(0));
}

std::vector<StoredTurn> recent_turns(store::Database& db, std::string_view device_id, std::size_t limit) {
  return HistoryRepository(db).recent(device_id, limit);
}

}  // namespace xz::history
