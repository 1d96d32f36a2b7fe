#pragma once
// Incremental Server-Sent Events parser (WHATWG "text/event-stream"): feed the body in
// whatever pieces the network delivers, get complete events out. Pure: no I/O.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xz::net {

struct SseEvent {
  std::string event = "message";  // the `event:` field, "message" when absent
  std::string data;               // `data:` lines joined by '\n'
  std::string id;                 // the last `id:` seen on the stream (it persists)
  std::optional<long> retry;      // `retry:` of this event, when given
};

class SseParser {
 public:
  // A line or event larger than this is an error (a broken or hostile peer).
  explicit SseParser(std::size_t max_event_bytes = 1024 * 1024) : max_event_bytes_(max_event_bytes) {}

  // Parses the next piece of the stream and returns the events it completed, in order.
  // Throws std::runtime_error when a line or an event exceeds the bound.
  std::vector<SseEvent> feed(std::string_view bytes);

  // True when bytes of an unfinished event are buffered (an event is complete only after
  // its blank line; the standard discards such a tail at end of stream).
  bool has_partial_event() const { return !line_.empty() || has_fields_; }

 private:
  void process_line(std::vector<SseEvent>& out);
  void dispatch(std::vector<SseEvent>& out);

  std::size_t max_event_bytes_;
  std::string line_;         // current line, without its terminator
  bool skip_lf_ = false;     // the previous piece ended in '\r'; a leading '\n' belongs to it
  bool at_start_ = true;     // a UTF-8 BOM is skipped only at the very start
  bool has_fields_ = false;  // some field of the pending event was seen
  std::string event_;
  std::string data_;
  bool has_data_ = false;
  std::string last_id_;
  std::optional<long> retry_;
};

}  // namespace xz::net
