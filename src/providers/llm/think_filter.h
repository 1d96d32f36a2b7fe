#pragma once
// Removes <think>…</think> reasoning from a streamed answer. Tags may be split across
// deltas, so a tail that could be the start of a tag is held back until the next delta
// shows whether it is one; everything else passes through at once.
#include <string>
#include <string_view>

namespace xz::providers {

class ThinkFilter {
 public:
  // The part of `delta` that is outside think blocks and certainly not part of a tag.
  std::string feed(std::string_view delta);
  // End of the answer: releases a held-back tail that turned out not to be a tag.
  // Text of an unclosed think block is dropped.
  std::string finish();

  bool inside_think() const { return inside_; }

 private:
  std::string pending_;  // held back: a possible tag prefix
  bool inside_ = false;
  bool skip_space_ = false;  // drop the blank lines models put after </think>
};

}  // namespace xz::providers
