#pragma once
// What a broken or hostile MCP server may send in place of protocol messages. The fake
// servers send these before an answer (echo with "hostile": true); a client must skip
// each one and still take the answer after it.
#include <string>
#include <vector>

namespace xz::test {

// One message text per entry, each on one line (stdio frames messages by lines).
std::vector<std::string> hostile_mcp_messages();

// The JSON-RPC batch for a plain-JSON answer: the hostile messages that are JSON within
// the depth bound (one body is one text), then `answer`.
std::string hostile_batch_with(const std::string& answer);

}  // namespace xz::test
