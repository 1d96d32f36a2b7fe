#include "net/sse_parser.h"

#include <charconv>
#include <stdexcept>

namespace xz::net {

std::vector<SseEvent> SseParser::feed(std::string_view bytes) {
  std::vector<SseEvent> out;
  for (std::size_t i = 0; i < bytes.size();) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (bytes[i] == '\n') {
        ++i;
        continue;
      }
    }
    // Copy the run up to the next line terminator in one go.
    std::size_t end = bytes.find_first_of("\r\n", i);
    std::size_t stop = end == std::string_view::npos ? bytes.size() : end;
    if (line_.size() + data_.size() + (stop - i) > max_event_bytes_) {
      throw std::runtime_error("SSE event larger than " + std::to_string(max_event_bytes_) + " bytes");
    }
    line_.append(bytes.substr(i, stop - i));
    if (end == std::string_view::npos) break;
    skip_lf_ = bytes[end] == '\r';
    i = end + 1;
    process_line(out);
  }
  return out;
}

void SseParser::process_line(std::vector<SseEvent>& out) {
  std::string_view line = line_;
  if (at_start_) {
    at_start_ = false;
    if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
  }
  if (line.empty()) {
    dispatch(out);
    line_.clear();
    return;
  }
  if (line.front() == ':') {  // comment (keep-alive pings)
    line_.clear();
    return;
  }
  std::string_view field = line, value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
  }
  has_fields_ = true;
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (field == "event") {
    event_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
  } else if (field == "retry") {
    long ms = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec == std::errc() && p == value.data() + value.size() && !value.empty()) retry_ = ms;
  }
  // Unknown fields are ignored, as the standard says.
  line_.clear();
}

void SseParser::dispatch(std::vector<SseEvent>& out) {
  if (has_data_) {
    SseEvent ev;
    if (!event_.empty()) ev.event = std::move(event_);
    data_.pop_back();  // the '\n' after the last data line
    ev.data = std::move(data_);
    ev.id = last_id_;
    ev.retry = retry_;
    out.push_back(std::move(ev));
  }
  event_.clear();
  data_.clear();
  has_data_ = false;
  has_fields_ = false;
  retry_.reset();
}

}  // namespace xz::net
