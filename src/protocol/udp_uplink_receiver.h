#pragma once
// One UDP audio channel's uplink decisions, without sockets (device-protocol.md §4.3-§4.4):
// sequence window -> AES-128-CTR -> Opus plausibility -> device address -> window. The
// header's size, type and length are the caller's first check (before the ssrc lookup);
// they are checked again here so the receiver stands alone (fuzz target udp_datagram).
//
// Address: the first valid packet sets it; a valid packet from elsewhere (NAT rebinding,
// or a forgery that passed the Opus check, ~1 % of random payloads) is not delivered and
// only moves the address once `rebind_after` of them in a row, with rising sequences,
// came from that same address; a valid packet from the current address resets the count.
// Nothing that is not delivered moves the window. `Address` is anything with ==.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/byte_order.h"
#include "protocol/udp_packet.h"
#include "protocol/udp_sequence_window.h"
#include "protocol/uplink_opus_check.h"

namespace xz::protocol {

struct UdpUplinkOptions {
  std::uint32_t reorder_window = 32;
  std::uint32_t max_sequence_jump = 1024;
  std::uint32_t max_first_sequence = 64;
  std::uint32_t rebind_after = 3;
  std::chrono::milliseconds frame_duration{60};
};

enum class UplinkOutcome {
  deliver,
  bad,          // malformed, sequence 0, a jump beyond max_sequence_jump, a first one above max_first_sequence
  replay,       // sequence already taken
  old,          // behind the reorder window
  forged,       // decrypts to something no device sends
  unconfirmed,  // valid, from an address the channel has not moved to (yet)
};

template <class Address>
class UdpUplinkReceiver {
 public:
  struct Result {
    UplinkOutcome outcome = UplinkOutcome::bad;
    bool address_moved = false;     // set for the first time or rebound by this packet
    std::optional<UdpPacket> packet;  // when delivered
  };

  // Throws std::invalid_argument for a window or jump UdpSequenceWindow refuses.
  UdpUplinkReceiver(std::string key16, UdpUplinkOptions opts)
      : key_(std::move(key16)), opts_(opts), window_(opts.reorder_window, opts.max_sequence_jump, opts.max_first_sequence) {}

  bool from_device(const Address& from) const { return device_ && *device_ == from; }
  const std::optional<Address>& device() const { return device_; }
  const UdpSequenceWindow& window() const { return window_; }

  Result receive(std::string_view datagram, const Address& from) {
    Result r;
    if (datagram.size() < kUdpHeaderSize) return r;
    const std::uint32_t sequence = be::u32(datagram, 12);
    switch (window_.check(sequence)) {
      case SequenceVerdict::accept: break;
      case SequenceVerdict::duplicate: r.outcome = UplinkOutcome::replay; return r;
      case SequenceVerdict::too_old: r.outcome = UplinkOutcome::old; return r;
      case SequenceVerdict::zero:
      case SequenceVerdict::too_far: return r;
    }
    auto packet = decrypt_udp_packet(key_, datagram, nullptr);
    if (!packet) return r;
    if (!plausible_uplink_opus(packet->opus, opts_.frame_duration)) {
      r.outcome = UplinkOutcome::forged;
      return r;
    }
    if (!from_device(from)) {
      if (device_) {
        if (candidate_count_ > 0 && candidate_ && *candidate_ == from && sequence > candidate_sequence_) {
          ++candidate_count_;
        } else {
          candidate_ = from;
          candidate_count_ = 1;
        }
        candidate_sequence_ = sequence;
        if (candidate_count_ < opts_.rebind_after) {
          r.outcome = UplinkOutcome::unconfirmed;
          return r;
        }
      }
      device_ = from;
      r.address_moved = true;
    }
    candidate_count_ = 0;
    window_.accept(sequence);
    r.outcome = UplinkOutcome::deliver;
    r.packet = std::move(packet);
    return r;
  }

 private:
  std::string key_;
  UdpUplinkOptions opts_;
  UdpSequenceWindow window_;
  std::optional<Address> device_;
  std::optional<Address> candidate_;
  std::uint32_t candidate_count_ = 0, candidate_sequence_ = 0;
};

}  // namespace xz::protocol
