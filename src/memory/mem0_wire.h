#pragma once
// The mem0 platform API as the reference's mem0ai engine uses it (its MemoryClient):
// POST /v1/memories/ adds a session's messages for a user_id, POST /v1/memories/search/
// finds the memories related to what the user just said. Pure functions over values.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "providers/llm/llm.h"

namespace xz::memory {

// Newest part of a dialogue sent to mem0, in bytes of message text.
inline constexpr std::size_t kMem0MaxDialogueBytes = 16000;
// Memories put into the prompt, and their text in bytes.
inline constexpr std::size_t kMem0MaxEntries = 50;
inline constexpr std::size_t kMem0MaxMemoryBytes = 4000;

// The dialogue as mem0 messages: what the user said and the assistant's spoken answers
// (system, tool results and tool-call-only turns left out); the newest that fit in
// kMem0MaxDialogueBytes. Fewer than two messages: nothing worth remembering (empty).
nlohmann::json mem0_messages(const std::vector<providers::ChatMessage>& dialogue);

// Body of POST /v1/memories/ (the client's v2 processing, as MemoryClient sends).
nlohmann::json mem0_add_body(const nlohmann::json& messages, std::string_view user_id, std::string_view output_format);
// Body of POST /v1/memories/search/.
nlohmann::json mem0_search_body(std::string_view query, std::string_view user_id, std::string_view output_format);

// The search answer ({"results": [...]} or a bare list) as the reference writes it for
// the prompt: "- [YYYY-MM-DD HH:MM:SS] memory" lines, newest first; entries without a
// time or text are left out. At most kMem0MaxEntries lines and kMem0MaxMemoryBytes.
// "" for anything else.
std::string mem0_memory_text(const nlohmann::json& answer);

// The readable reason of a mem0 error body ({"detail"}, {"error"}, {"message"}).
std::string mem0_error_message(std::string_view body);

}  // namespace xz::memory
