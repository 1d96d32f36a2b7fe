#pragma once
// An agent (a device's character and engines) as the store keeps it. The engine
// choices, functions and replacement words are JSON values the API validates before
// a save; the store only keeps them. Times are Unix seconds.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "store/device_records.h"

namespace xz::store {

struct AgentRecord {
  std::int64_t id = 0;
  std::string name;
  std::string prompt;    // the system prompt; {{placeholders}} as in the config file's
  std::string language;  // "" = the config file's
  // Kind ("llm", "vllm", "asr", "tts", "intent", "memory") -> name of an entry of the
  // configuration's section; a kind left out keeps the config file's selection.
  nlohmann::json engines = nlohmann::json::object();
  std::string voice;  // the TTS entry's voice; "" = the entry's own
  // Function name -> its parameters (plugins.<name> over the config's); {} = the config's functions.
  nlohmann::json functions = nlohmann::json::object();
  nlohmann::json replacement_words = nlohmann::json::array();  // ["from|to", ...]
  std::string greeting;  // answer to a wake word; "" = the config file's
  bool is_template = false;
  std::int64_t revision = 1;
  std::int64_t created = 0;
  std::int64_t updated = 0;
};

enum class SaveOutcome { saved, not_found, stale_revision };

// A revision-checked save: on stale_revision, `current` is the object as it is now.
template <class T>
struct Saved {
  SaveOutcome outcome = SaveOutcome::not_found;
  std::optional<T> current;
};

}  // namespace xz::store
