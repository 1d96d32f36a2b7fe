#pragma once
// The receive side of one UDP audio channel's sequence numbers (device-protocol.md §4.3):
// the firmware numbers its datagrams from 1, one more per packet. Replays and packets
// older than a bounded reorder window are refused; a late packet inside the window is
// taken once; gaps (lost packets) are taken and counted. A jump further ahead than
// max_jump is refused too, and so is a first packet above max_first: a forgery accepted
// far ahead would make every real packet "old" until the device caught up (so the worst a
// forgery that slips through can cost is max_jump packets of the device's audio). Numbers
// do not wrap (2^32 packets of 60 ms = 8 years).
//
// check() and accept() are separate so a caller can authenticate the payload in between
// and let only a packet that passed move the window.
#include <cstdint>

namespace xz::protocol {

enum class SequenceVerdict {
  accept,
  zero,       // sequence 0: the firmware's first packet is 1
  duplicate,  // already accepted (a replay)
  too_old,    // further behind the highest accepted than the window reaches
  too_far,    // further ahead of the highest accepted than max_jump, or a first packet above max_first
};

const char* to_string(SequenceVerdict v);

class UdpSequenceWindow {
 public:
  static constexpr std::uint32_t kMaxWindow = 64;  // one bit per sequence in a 64-bit word

  // window: how many sequences, counting the highest accepted, are remembered (1..64; a
  // late packet at least `window` behind the highest is too_old). max_jump >= 1,
  // max_first >= 1 (the device numbers from 1, so only lost packets put its first
  // arriving one above 1). Throws std::invalid_argument outside those ranges.
  explicit UdpSequenceWindow(std::uint32_t window = 32, std::uint32_t max_jump = 1024, std::uint32_t max_first = 64);

  SequenceVerdict check(std::uint32_t sequence) const;
  // Records `sequence`; call only after check(sequence) == accept.
  void accept(std::uint32_t sequence);

  std::uint32_t highest() const { return highest_; }  // 0 before the first packet
  std::uint64_t accepted() const { return accepted_; }
  // Sequences skipped by forward jumps (not lowered when a late one arrives).
  std::uint64_t gaps() const { return gaps_; }
  // Late packets taken inside the window.
  std::uint64_t reordered() const { return reordered_; }

 private:
  std::uint32_t window_;
  std::uint32_t max_jump_;
  std::uint32_t max_first_;
  std::uint32_t highest_ = 0;
  std::uint64_t seen_ = 1;  // bit i: highest_ - i was accepted (bit 0 stands for 0 at start)
  std::uint64_t accepted_ = 0, gaps_ = 0, reordered_ = 0;
};

}  // namespace xz::protocol
