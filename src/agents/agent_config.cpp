#include "agents/agent_config.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/config.h"

namespace xz::agents {

using Json = nlohmann::json;

const std::vector<EngineKind>& engine_kinds() {
  static const std::vector<EngineKind> kinds = {{"llm", "LLM"},   {"vllm", "VLLM"},     {"asr", "ASR"},
                                                {"tts", "TTS"},   {"intent", "Intent"}, {"memory", "Memory"}};
  return kinds;
}

namespace {

const EngineKind* kind_of(const std::string& field) {
  for (const auto& k : engine_kinds())
    if (field == k.field) return &k;
  return nullptr;
}

bool has_entry(const Json& config, const std::string& section, const std::string& name) {
  auto s = config.find(section);
  if (s == config.end() || !s->is_object()) return false;
  auto e = s->find(name);
  return e != s->end() && e->is_object();
}

std::string selected(const Json& config, const char* section) {
  auto sel = config.find("selected_module");
  if (sel == config.end() || !sel->is_object()) return {};
  auto v = sel->find(section);
  return v != sel->end() && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

std::vector<FieldProblem> check_agent(const Json& config, const store::AgentRecord& agent,
                                      const std::vector<std::string>& known_functions) {
  std::vector<FieldProblem> out;
  if (!agent.engines.is_object()) {
    out.push_back({"engines", "must be an object: kind -> entry name"});
  } else {
    for (auto it = agent.engines.begin(); it != agent.engines.end(); ++it) {
      const std::string field = "engines." + it.key();
      const EngineKind* kind = kind_of(it.key());
      if (!kind) {
        out.push_back({field, fmt::format("'{}' is not an engine kind (llm, vllm, asr, tts, intent, memory)", it.key())});
        continue;
      }
      if (!it->is_string() || it->get<std::string>().empty()) {
        out.push_back({field, "must be the name of an entry of " + std::string(kind->section)});
        continue;
      }
      const std::string name = it->get<std::string>();
      if (!has_entry(config, kind->section, name))
        out.push_back({field, fmt::format("the configuration has no {} entry named '{}'", kind->section, name)});
    }
  }
  if (!agent.functions.is_object()) {
    out.push_back({"functions", "must be an object: function name -> its parameters"});
  } else {
    for (auto it = agent.functions.begin(); it != agent.functions.end(); ++it) {
      const std::string field = "functions." + it.key();
      if (std::find(known_functions.begin(), known_functions.end(), it.key()) == known_functions.end())
        out.push_back({field, fmt::format("'{}' is not a function this server has", it.key())});
      else if (!it->is_object() && !it->is_null())
        out.push_back({field, "parameters must be an object (or null)"});
    }
  }
  if (!agent.replacement_words.is_array()) {
    out.push_back({"replacement_words", "must be a list of \"written|spoken\" strings"});
  } else {
    for (std::size_t i = 0; i < agent.replacement_words.size(); ++i) {
      const auto& w = agent.replacement_words[i];
      const std::string s = w.is_string() ? w.get<std::string>() : std::string();
      const auto bar = s.find('|');
      if (bar == std::string::npos || bar == 0)
        out.push_back({fmt::format("replacement_words[{}]", i), "must be \"written|spoken\""});
    }
  }
  return out;
}

Json agent_overlay(const Json& config, const store::AgentRecord& agent) {
  Json cfg = config.is_object() ? config : Json::object();
  if (!cfg["selected_module"].is_object()) cfg["selected_module"] = Json::object();
  if (agent.engines.is_object())
    for (auto it = agent.engines.begin(); it != agent.engines.end(); ++it)
      if (const EngineKind* kind = kind_of(it.key()); kind && it->is_string() && !it->get<std::string>().empty())
        cfg["selected_module"][kind->section] = *it;

  if (!agent.voice.empty()) {
    const std::string tts = selected(cfg, "TTS");
    if (has_entry(cfg, "TTS", tts)) cfg["TTS"][tts]["voice"] = agent.voice;
  }
  if (!agent.prompt.empty()) cfg["prompt"] = agent.prompt;
  if (!agent.language.empty()) cfg["language"] = agent.language;
  if (!agent.greeting.empty()) {
    cfg["wakeup_words_response"] = agent.greeting;
    cfg["wakeup_words_responses"] = Json::array();  // the agent's greeting, not the file's lines
  }

  const std::string intent = selected(cfg, "Intent");
  if (agent.functions.is_object() && !agent.functions.empty() && has_entry(cfg, "Intent", intent)) {
    Json names = Json::array();
    for (auto it = agent.functions.begin(); it != agent.functions.end(); ++it) {
      names.push_back(it.key());
      if (it->is_object() && !it->empty()) {
        if (!cfg["plugins"].is_object()) cfg["plugins"] = Json::object();
        if (!cfg["plugins"][it.key()].is_object()) cfg["plugins"][it.key()] = Json::object();
        core::deep_merge(cfg["plugins"][it.key()], *it);
      }
    }
    cfg["Intent"][intent]["functions"] = std::move(names);
  }

  if (agent.replacement_words.is_array() && !agent.replacement_words.empty()) {
    Json words = cfg["replacement_words"].is_array() ? cfg["replacement_words"] : Json::array();
    for (const auto& w : agent.replacement_words) words.push_back(w);
    cfg["replacement_words"] = std::move(words);
  }
  return cfg;
}

}  // namespace xz::agents
