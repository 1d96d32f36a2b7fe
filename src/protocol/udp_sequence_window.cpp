#include "protocol/udp_sequence_window.h"

#include <stdexcept>

namespace xz::protocol {

const char* to_string(SequenceVerdict v) {
  switch (v) {
    case SequenceVerdict::accept: return "accept";
    case SequenceVerdict::zero: return "zero";
    case SequenceVerdict::duplicate: return "duplicate";
    case SequenceVerdict::too_old: return "too_old";
    case SequenceVerdict::too_far: return "too_far";
  }
  return "?";
}

UdpSequenceWindow::UdpSequenceWindow(std::uint32_t window, std::uint32_t max_jump, std::uint32_t max_first)
    : window_(window), max_jump_(max_jump), max_first_(max_first) {
  if (window < 1 || window > kMaxWindow) throw std::invalid_argument("udp sequence window must be 1..64");
  if (max_jump < 1) throw std::invalid_argument("udp sequence max_jump must be >= 1");
  if (max_first < 1) throw std::invalid_argument("udp sequence max_first must be >= 1");
}

SequenceVerdict UdpSequenceWindow::check(std::uint32_t sequence) const {
  if (sequence == 0) return SequenceVerdict::zero;
  if (accepted_ == 0 && sequence > max_first_) return SequenceVerdict::too_far;
  if (sequence > highest_) {
    return sequence - highest_ > max_jump_ ? SequenceVerdict::too_far : SequenceVerdict::accept;
  }
  const std::uint32_t behind = highest_ - sequence;
  if (behind >= window_) return SequenceVerdict::too_old;
  return (seen_ >> behind) & 1u ? SequenceVerdict::duplicate : SequenceVerdict::accept;
}

void UdpSequenceWindow::accept(std::uint32_t sequence) {
  ++accepted_;
  if (sequence > highest_) {
    const std::uint32_t ahead = sequence - highest_;
    gaps_ += ahead - 1;
    seen_ = ahead >= 64 ? 1u : (seen_ << ahead) | 1u;
    highest_ = sequence;
    return;
  }
  seen_ |= std::uint64_t{1} << (highest_ - sequence);
  ++reordered_;
}

}  // namespace xz::protocol
