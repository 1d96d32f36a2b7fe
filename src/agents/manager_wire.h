#pragma once
// The reference's manager-api (智控台) as the device server sees it, as pure functions
// over its JSON (manager-console.md §2.6): the {"code","msg","data"} envelope (HTTP
// 200 even on errors; 10041 = device not found, 10042 = bind the device with the code
// in msg), and how its answers combine with the local configuration: server-base over
// the file at start and on update_config, an agent-models answer over that for one device.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::agents {

enum class ManagerOutcome { data, device_not_found, bind_device, error };

struct ManagerEnvelope {
  ManagerOutcome outcome = ManagerOutcome::error;
  nlohmann::json data;  // outcome data
  std::string message;  // bind_device: the code; error: why
};

// Never throws: a body that is not the envelope is an error naming what is wrong.
ManagerEnvelope parse_envelope(std::string_view body);

// server-base's `data` merged over the local configuration: maps merge, scalars and
// lists replace, as for the config files. What the reference keeps local stays local:
// server.ip, .port, .http_port, .vision_explain, .auth_key, prompt_template and
// manager-api; so do log.data_dir and log.log_dir (where this server keeps its database
// and logs). A null in the answer ("prompt": null) leaves the local value.
nlohmann::json merge_server_base(const nlohmann::json& local, const nlohmann::json& base);

// What one device's agent makes of the server's configuration (the reference's
// _initialize_private_config): the VAD and ASR sections when the agent selects other
// models than the server, the TTS, LLM, VLLM, Memory and Intent sections with their
// selection, the prompt, the MCP endpoint and context providers. Plugins (JSON strings
// in the answer) merge over the server's and become the Intent entry's functions.
// Plugins that are not `known_functions` are skipped. `correct_words` ("原词|替换词")
// follow the server's replacement_words. Problems with the answer go to *warnings; the
// rest is still used.
nlohmann::json agent_config(const nlohmann::json& server, const nlohmann::json& agent,
                            const std::vector<std::string>& correct_words,
                            const std::vector<std::string>& known_functions, std::vector<std::string>* warnings);

// The agent's chat_history_conf (0 = no reports, 1 = text, 2 = text and audio); nullopt
// when the answer has none.
std::optional<int> chat_history_conf(const nlohmann::json& agent);
// The agent's summaryMemory; nullopt when null or absent.
std::optional<std::string> summary_memory(const nlohmann::json& agent);
// Whether the manager writes this agent's memory when a session ends: the reference
// asks it to (chat-summary save) for mem_local_short.
bool manager_summarises(const nlohmann::json& effective_config);

// A correct-words answer: the "from|to" strings it holds, at most `max` of them.
std::vector<std::string> correct_words(const nlohmann::json& data, std::size_t max = 1000);

}  // namespace xz::agents
