#pragma once
// What a stored agent makes of the configuration: its choices over the config file,
// as the manager-api's agents are (manager_wire.h's agent_config), and the check that
// refuses a save naming an engine, function or word the configuration cannot use.
// Pure functions over JSON.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/agent_records.h"

namespace xz::agents {

// The API's engine kinds and the configuration sections they choose in.
struct EngineKind {
  const char* field;    // "llm"
  const char* section;  // "LLM"
};
const std::vector<EngineKind>& engine_kinds();

struct FieldProblem {
  std::string field;    // "engines.tts", "functions.get_weather", "replacement_words[2]"
  std::string message;  // names the value and why it is refused
};

// Empty when `config` (the effective configuration, e.g. the file) can run the agent.
std::vector<FieldProblem> check_agent(const nlohmann::json& config, const store::AgentRecord& agent,
                                      const std::vector<std::string>& known_functions);

// The configuration a device on `agent` runs with: the selections of its engines, the
// voice on its TTS entry, its prompt, language, greeting (the wake-word reply), its
// functions on the selected intent entry (their parameters over plugins.<name>) and its
// replacement words after the file's. Parts the agent leaves empty keep the file's.
nlohmann::json agent_overlay(const nlohmann::json& config, const store::AgentRecord& agent);

}  // namespace xz::agents
