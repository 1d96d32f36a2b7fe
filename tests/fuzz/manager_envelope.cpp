// Answers from the manager-api (agents/manager_wire): the envelope, then what its data
// does merged as server-base and as an agent over a server's configuration. Any bytes:
// an outcome, never an exception; merges keep what stays local.
#include <string>
#include <vector>

#include "agents/manager_wire.h"
#include "fuzz/fuzz_check.h"

using namespace xz::agents;
using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = xz::fuzz::as_text(data, size);
  const ManagerEnvelope e = parse_envelope(text);
  if (e.outcome == ManagerOutcome::error) FUZZ_CHECK(!e.message.empty() && e.message.size() <= 600);
  if (e.outcome != ManagerOutcome::data) return 0;
  static const json server = {
      {"server", {{"ip", "127.0.0.1"}, {"port", 8000}, {"auth_key", "k"}}},
      {"log", {{"data_dir", "data"}}},
      {"manager-api", {{"url", "http://m/xiaozhi"}, {"secret", "s"}}},
      {"selected_module", {{"LLM", "OpenAILLM"}, {"TTS", "FliteTTS"}, {"Intent", "function_call"}}},
      {"LLM", {{"OpenAILLM", {{"type", "openai"}}}}},
      {"Intent", {{"function_call", {{"type", "function_call"}}}}}};
  const json merged = merge_server_base(server, e.data);
  FUZZ_CHECK(merged.is_object());
  FUZZ_CHECK(merged["server"]["ip"] == "127.0.0.1" && merged["server"]["auth_key"] == "k");
  FUZZ_CHECK(merged["log"]["data_dir"] == "data" && merged["manager-api"] == server["manager-api"]);
  std::vector<std::string> warnings;
  const auto words = correct_words(e.data, 100);
  FUZZ_CHECK(words.size() <= 100);
  const json agent = agent_config(merged, e.data, words, {"get_time", "play_music"}, &warnings);
  FUZZ_CHECK(agent.is_object() && agent["selected_module"].is_object());
  if (auto c = chat_history_conf(e.data)) FUZZ_CHECK(*c >= 0 && *c <= 2);
  (void)summary_memory(e.data);
  (void)manager_summarises(agent);
  return 0;
}
