#include "tools/mcp/line_splitter.h"

namespace xz::tools::mcp {

std::vector<std::string> LineSplitter::feed(std::string_view bytes) {
  std::vector<std::string> out;
  while (!bytes.empty()) {
    const std::size_t nl = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, nl);
    if (!over_) {
      if (line_.size() + piece.size() <= max_line_) {
        line_.append(piece);
      } else {
        over_ = true;
        if (overflow_ == Overflow::truncate) {
          line_.append(piece.substr(0, max_line_ - line_.size()));
        } else {
          line_.clear();
          line_.shrink_to_fit();
        }
      }
    }
    if (nl == std::string_view::npos) break;
    complete(out);
    bytes.remove_prefix(nl + 1);
  }
  return out;
}

void LineSplitter::complete(std::vector<std::string>& out) {
  if (over_) ++overlong_;
  if (!over_ || overflow_ == Overflow::truncate) {
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    out.push_back(std::move(line_));
  }
  line_.clear();
  over_ = false;
}

std::string LineSplitter::finish() {
  std::vector<std::string> out;
  if (line_.empty() && !over_) return {};
  complete(out);
  return out.empty() ? std::string() : std::move(out.front());
}

}  // namespace xz::tools::mcp
