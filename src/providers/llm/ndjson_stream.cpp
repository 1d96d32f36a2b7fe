#include "providers/llm/ndjson_stream.h"

#include <stdexcept>

namespace xz::providers {

namespace {

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r") == std::string_view::npos; }

}  // namespace

std::vector<std::string> NdjsonLines::feed(std::string_view bytes) {
  std::vector<std::string> out;
  while (!bytes.empty()) {
    auto nl = bytes.find('\n');
    std::string_view part = bytes.substr(0, nl);
    if (line_.size() + part.size() > max_line_bytes_) {
      line_.clear();
      throw std::runtime_error("stream line longer than " + std::to_string(max_line_bytes_) + " bytes");
    }
    line_.append(part);
    if (nl == std::string_view::npos) break;
    bytes.remove_prefix(nl + 1);
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (!blank(line_)) out.push_back(std::move(line_));
    line_.clear();
  }
  return out;
}

std::string NdjsonLines::finish() {
  std::string last = std::move(line_);
  line_.clear();
  if (!last.empty() && last.back() == '\r') last.pop_back();
  return blank(last) ? std::string() : last;
}

}  // namespace xz::providers
