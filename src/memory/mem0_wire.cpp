#include "memory/mem0_wire.h"

#include <algorithm>

#include "memory/memory_prompt.h"

namespace xz::memory {

using json = nlohmann::json;

namespace {

std::string string_at(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "2024-05-01T10:20:30.123456-07:00" -> "2024-05-01 10:20:30", as the reference does
// (the fraction and what follows it dropped, T made a space).
std::string shown_time(std::string t) {
  if (auto dot = t.find('.'); dot != std::string::npos) t.resize(dot);
  std::replace(t.begin(), t.end(), 'T', ' ');
  return t;
}

}  // namespace

json mem0_messages(const std::vector<providers::ChatMessage>& dialogue) {
  std::vector<const providers::ChatMessage*> kept;
  std::size_t bytes = 0;
  for (auto it = dialogue.rbegin(); it != dialogue.rend(); ++it) {
    const auto& m = *it;
    if ((m.role != "user" && m.role != "assistant") || m.content.empty()) continue;
    if (bytes + m.content.size() > kMem0MaxDialogueBytes) break;
    bytes += m.content.size();
    kept.push_back(&m);
  }
  json out = json::array();
  if (kept.size() < 2) return out;
  for (auto it = kept.rbegin(); it != kept.rend(); ++it) out.push_back({{"role", (*it)->role}, {"content", (*it)->content}});
  return out;
}

json mem0_add_body(const json& messages, std::string_view user_id, std::string_view output_format) {
  return {{"messages", messages},
          {"user_id", std::string(user_id)},
          {"output_format", std::string(output_format)},
          {"version", "v2"}};
}

json mem0_search_body(std::string_view query, std::string_view user_id, std::string_view output_format) {
  return {{"query", std::string(query)}, {"user_id", std::string(user_id)}, {"output_format", std::string(output_format)}};
}

std::string mem0_memory_text(const json& answer) {
  const json* results = nullptr;
  if (answer.is_array()) results = &answer;
  else if (answer.is_object() && answer.contains("results") && answer["results"].is_array()) results = &answer["results"];
  if (!results) return {};
  std::vector<std::pair<std::string, std::string>> entries;  // (time as sent, line)
  for (const auto& e : *results) {
    if (!e.is_object()) continue;
    std::string time = string_at(e, "updated_at");
    std::string text = string_at(e, "memory");
    if (time.empty() || text.empty()) continue;
    entries.emplace_back(time, "- [" + shown_time(time) + "] " + text);
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out;
  for (std::size_t i = 0; i < entries.size() && i < kMem0MaxEntries; ++i) {
    const std::string& line = entries[i].second;
    const std::size_t room = kMem0MaxMemoryBytes - out.size();
    if (line.size() + 1 > room) {
      if (out.empty()) out = std::string(utf8_prefix(line, room / 4)) + "...";  // one long memory: its start
      break;
    }
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

std::string mem0_error_message(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    for (const char* key : {"detail", "error", "message"}) {
      if (auto it = j.find(key); it != j.end()) return it->is_string() ? it->get<std::string>() : it->dump();
    }
  }
  if (body.empty()) return "(empty body)";
  return std::string(body.substr(0, 300));
}

}  // namespace xz::memory
