#pragma once
// What one device's conversation runs on: its engines, settings and functions. A session
// gets its profile when the device connects (from the config file's default agent, or
// the manager-api's agent of that device), holds it, and swaps it for a newer one at a
// turn boundary after the configuration changed. Engines are shared by every profile
// built from the same configuration (agents/engine_cache.h): a profile costs a few
// pointers, never an engine of its own.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "pipeline/context_providers.h"
#include "pipeline/conversation_settings.h"
#include "pipeline/greeting_cache.h"
#include "providers/asr/asr.h"
#include "providers/llm/llm.h"
#include "providers/tts/tts.h"
#include "providers/vad/vad.h"
#include "providers/vllm/vllm.h"
#include "session/conversation.h"
#include "session/identity.h"
#include "tools/tool.h"

namespace xz::memory {
class Memory;
}
namespace boost::asio::ssl {
class context;
}

namespace xz::pipeline {

// What a device's chat reports to the manager carry (the manager's chat_history_conf).
enum class ChatReports : int { server_default = -1, off = 0, text = 1, text_and_audio = 2 };

struct VoiceProfile {
  std::string origin;  // for logs: "config file", "manager-api agent", ...
  std::shared_ptr<providers::VadEngine> vad;
  std::shared_ptr<providers::AsrEngine> asr;
  std::shared_ptr<providers::LlmEngine> llm;
  std::shared_ptr<providers::TtsEngine> tts;
  std::shared_ptr<providers::VllmEngine> vllm;       // null: none selected
  std::shared_ptr<providers::LlmEngine> intent_llm;  // intent_llm's classifier; null: the main LLM
  std::shared_ptr<memory::Memory> memory;            // null: no memory across sessions
  std::shared_ptr<GreetingCache> greetings;          // speech made with `tts`
  std::shared_ptr<const ConversationSettings> settings;
  tools::ToolList builtin_tools;
  std::string mcp_endpoint_url;  // "" = none
  std::shared_ptr<boost::asio::ssl::context> mcp_endpoint_tls;  // wss://: shared
  ChatReports chat_reports = ChatReports::server_default;
  // The manager's summary of the device (agent-models' summaryMemory): replaces the
  // local memory's recall.
  std::optional<std::string> summary_memory;
  // At the session's end the manager writes the summary (POST chat-summary save), as
  // the reference's mem_local_short does in manager mode.
  bool manager_summary = false;
  // The agent's own context_providers (the manager's per-agent list) for the prompt
  // template's {{dynamic_context}}; nullopt: the configured ones.
  std::optional<std::vector<ContextProviderSpec>> context_providers;
};
using ProfilePtr = std::shared_ptr<const VoiceProfile>;

struct ProfileResult {
  ProfilePtr profile;                             // what the device talks with
  std::optional<session::ActivationPrompt> bind;  // or: it is not bound; it is told this instead
};

// Where profiles come from: the config file, the manager-api, (later) our own agents.
class ProfileSource {
 public:
  virtual ~ProfileSource() = default;
  // The device's profile now. Never throws except on cancellation: a source that
  // cannot answer falls back (the device's last good profile, else the default) and logs it.
  virtual boost::asio::awaitable<ProfileResult> resolve(session::DeviceIdentity who) = 0;
  // Changes whenever the configuration behind the profiles changes: a conversation whose
  // profile is older resolves again.
  virtual std::uint64_t generation() const = 0;
};

}  // namespace xz::pipeline
