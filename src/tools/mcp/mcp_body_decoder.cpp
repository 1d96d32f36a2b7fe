#include "tools/mcp/mcp_body_decoder.h"

#include <stdexcept>

#include "protocol/json_text.h"
#include "tools/mcp/mcp_transport.h"

namespace xz::tools::mcp {

using Json = nlohmann::json;

std::vector<Json> McpBodyDecoder::feed(std::string_view piece) {
  if (kind_ == Kind::unknown) {
    std::size_t i = 0;
    if (body_.empty() && piece.starts_with("\xEF\xBB\xBF")) i = 3;
    // Whitespace may lead either kind (an SSE stream may open with a blank line).
    while (i < piece.size() && (piece[i] == ' ' || piece[i] == '\t' || piece[i] == '\r' || piece[i] == '\n')) ++i;
    if (i == piece.size()) {
      body_.append(piece);  // only whitespace so far: undecided
      if (body_.size() > max_) throw McpError("answer starts with too much whitespace");
      return {};
    }
    kind_ = piece[i] == '{' || piece[i] == '[' ? Kind::json : Kind::sse;
    std::string head = std::move(body_);
    body_.clear();
    head.append(piece);
    if (kind_ == Kind::sse) return feed_sse(head);
    body_ = std::move(head);
    if (body_.size() > max_) throw McpError("answer larger than " + std::to_string(max_) + " bytes");
    return {};
  }
  if (kind_ == Kind::sse) return feed_sse(piece);
  if (body_.size() + piece.size() > max_) throw McpError("answer larger than " + std::to_string(max_) + " bytes");
  body_.append(piece);
  return {};
}

std::vector<Json> McpBodyDecoder::feed_sse(std::string_view piece) {
  std::vector<net::SseEvent> events;
  try {
    events = sse_.feed(piece);
  } catch (const std::runtime_error& e) {
    throw McpError(e.what());
  }
  std::vector<Json> out;
  for (auto& ev : events) {
    if (ev.event != "message" || ev.data.empty()) continue;
    Json j = protocol::parse_json_text(ev.data);
    if (j.is_discarded()) {
      ++bad_events_;
      continue;
    }
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<Json> McpBodyDecoder::finish() {
  if (kind_ != Kind::json) return {};
  Json j = protocol::parse_json_text(body_);
  body_.clear();
  if (j.is_discarded()) throw McpError("answer is not valid JSON");
  return {std::move(j)};
}

}  // namespace xz::tools::mcp
