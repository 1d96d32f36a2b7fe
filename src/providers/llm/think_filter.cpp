#include "providers/llm/think_filter.h"

#include <algorithm>

namespace xz::providers {

namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

// Length of the longest suffix of `s` that is a proper prefix of `tag`.
std::size_t partial_tag_suffix(std::string_view s, std::string_view tag) {
  for (std::size_t n = std::min(s.size(), tag.size() - 1); n > 0; --n) {
    if (s.substr(s.size() - n) == tag.substr(0, n)) return n;
  }
  return 0;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

std::string ThinkFilter::feed(std::string_view delta) {
  std::string text = std::move(pending_);
  pending_.clear();
  text.append(delta);
  std::string out;
  std::string_view rest = text;
  while (!rest.empty()) {
    if (inside_) {
      auto at = rest.find(kClose);
      if (at == std::string_view::npos) {
        // Keep only what could start the closing tag; the thinking itself is dropped.
        pending_.assign(rest.substr(rest.size() - partial_tag_suffix(rest, kClose)));
        return out;
      }
      rest.remove_prefix(at + kClose.size());
      inside_ = false;
      skip_space_ = true;
      continue;
    }
    if (skip_space_) {
      while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
      if (rest.empty()) break;
      skip_space_ = false;
    }
    auto at = rest.find(kOpen);
    if (at == std::string_view::npos) {
      std::size_t hold = partial_tag_suffix(rest, kOpen);
      out.append(rest.substr(0, rest.size() - hold));
      pending_.assign(rest.substr(rest.size() - hold));
      return out;
    }
    out.append(rest.substr(0, at));
    rest.remove_prefix(at + kOpen.size());
    inside_ = true;
  }
  return out;
}

std::string ThinkFilter::finish() {
  std::string out;
  if (!inside_) out = std::move(pending_);
  pending_.clear();
  return out;
}

}  // namespace xz::providers
