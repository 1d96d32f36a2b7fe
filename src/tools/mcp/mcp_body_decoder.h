#pragma once
// The body of a Streamable HTTP answer, fed as it arrives. The server chooses between
// one JSON document and an SSE stream of `message` events, and the body reaches us
// before the headers are handed back, so the kind is read from the first byte ('{' or
// '[' is JSON; SSE starts with a field name, a comment or a blank line). Pure: no I/O.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/sse_parser.h"

namespace xz::tools::mcp {

class McpBodyDecoder {
 public:
  explicit McpBodyDecoder(std::size_t max_message_bytes) : max_(max_message_bytes), sse_(max_message_bytes) {}

  // Messages completed by this piece (SSE: one per `message` event with JSON data).
  // Throws McpError for a JSON body above the bound or an SSE event above it.
  std::vector<nlohmann::json> feed(std::string_view piece);
  // End of body: a JSON body is parsed now. Throws McpError when it is not JSON.
  std::vector<nlohmann::json> finish();

  bool is_sse() const { return kind_ == Kind::sse; }
  // SSE events skipped because their data was not JSON.
  std::size_t bad_events() const { return bad_events_; }

 private:
  enum class Kind { unknown, json, sse };
  std::vector<nlohmann::json> feed_sse(std::string_view piece);

  std::size_t max_;
  Kind kind_ = Kind::unknown;
  std::string body_;  // JSON kind
  net::SseParser sse_;
  std::size_t bad_events_ = 0;
};

}  // namespace xz::tools::mcp
