#include "store/agent_repository.h"

namespace xz::store {

namespace {

using Json = nlohmann::json;

constexpr const char* kAgentColumns =
    "id, name, prompt, language, engines, voice, functions, replacement_words, greeting, is_template, revision, "
    "created, updated";

// A column the API wrote: a hand-edited row that no longer parses reads as the empty value.
Json json_column(const Statement& st, int column, Json empty) {
  Json j = Json::parse(st.text(column), nullptr, false);
  return j.is_discarded() || j.type() != empty.type() ? empty : j;
}

AgentRecord read_agent(const Statement& st) {
  AgentRecord a;
  a.id = st.int64(0);
  a.name = st.text(1);
  a.prompt = st.text(2);
  a.language = st.text(3);
  a.engines = json_column(st, 4, Json::object());
  a.voice = st.text(5);
  a.functions = json_column(st, 6, Json::object());
  a.replacement_words = json_column(st, 7, Json::array());
  a.greeting = st.text(8);
  a.is_template = st.int64(9) != 0;
  a.revision = st.int64(10);
  a.created = st.int64(11);
  a.updated = st.int64(12);
  return a;
}

std::string dumped(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

std::vector<AgentRecord> AgentRepository::list(std::string_view search, bool templates_only, std::size_t limit) {
  auto st = db_.prepare(std::string("SELECT ") + kAgentColumns +
                        " FROM agents WHERE instr(lower(name), lower(?1)) > 0 AND (?2 = 0 OR is_template = 1) "
                        "ORDER BY name, id LIMIT ?3");
  st.bind(1, search).bind(2, std::int64_t{templates_only ? 1 : 0}).bind(3, static_cast<std::int64_t>(limit));
  std::vector<AgentRecord> out;
  while (st.step()) out.push_back(read_agent(st));
  return out;
}

std::optional<AgentRecord> AgentRepository::find(std::int64_t id) {
  auto st = db_.prepare(std::string("SELECT ") + kAgentColumns + " FROM agents WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_agent(st);
}

AgentRecord AgentRepository::create(AgentRecord a, std::int64_t now) {
  Transaction tx(db_);
  db_.prepare(
         "INSERT INTO agents (name, prompt, language, engines, voice, functions, replacement_words, greeting, "
         "is_template, revision, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?10)")
      .bind(1, a.name)
      .bind(2, a.prompt)
      .bind(3, a.language)
      .bind(4, dumped(a.engines))
      .bind(5, a.voice)
      .bind(6, dumped(a.functions))
      .bind(7, dumped(a.replacement_words))
      .bind(8, a.greeting)
      .bind(9, std::int64_t{a.is_template ? 1 : 0})
      .bind(10, now)
      .run();
  auto id = db_.prepare("SELECT last_insert_rowid()");
  id.step();
  auto made = find(id.int64(0));
  tx.commit();
  if (!made) throw DatabaseError("agent vanished right after it was created");
  return *made;
}

Saved<AgentRecord> AgentRepository::update(const AgentRecord& a, std::int64_t now) {
  Transaction tx(db_);
  db_.prepare(
         "UPDATE agents SET name = ?2, prompt = ?3, language = ?4, engines = ?5, voice = ?6, functions = ?7, "
         "replacement_words = ?8, greeting = ?9, is_template = ?10, updated = ?11, revision = revision + 1 "
         "WHERE id = ?1 AND revision = ?12")
      .bind(1, a.id)
      .bind(2, a.name)
      .bind(3, a.prompt)
      .bind(4, a.language)
      .bind(5, dumped(a.engines))
      .bind(6, a.voice)
      .bind(7, dumped(a.functions))
      .bind(8, dumped(a.replacement_words))
      .bind(9, a.greeting)
      .bind(10, std::int64_t{a.is_template ? 1 : 0})
      .bind(11, now)
      .bind(12, a.revision)
      .run();
  const bool changed = db_.changes() == 1;
  auto current = find(a.id);
  tx.commit();
  if (!current) return {SaveOutcome::not_found, std::nullopt};
  return {changed ? SaveOutcome::saved : SaveOutcome::stale_revision, std::move(current)};
}

bool AgentRepository::remove(std::int64_t id) {
  db_.prepare("DELETE FROM agents WHERE id = ?1").bind(1, id).run();
  return db_.changes() == 1;
}

std::optional<AgentRecord> AgentRepository::clone(std::int64_t id, std::string name, std::int64_t now) {
  auto source = find(id);
  if (!source) return std::nullopt;
  AgentRecord copy = *source;
  copy.name = name.empty() ? source->name + " (copy)" : std::move(name);
  copy.is_template = false;
  return create(std::move(copy), now);
}

std::optional<AgentRecord> AgentRepository::agent_of_device(std::string_view device_id) {
  auto st = db_.prepare(std::string("SELECT ") + kAgentColumns +
                        " FROM agents WHERE id = (SELECT agent_id FROM devices WHERE lower(device_id) = lower(?1) LIMIT 1)");
  st.bind(1, device_id);
  if (!st.step()) return std::nullopt;
  return read_agent(st);
}

}  // namespace xz::store
