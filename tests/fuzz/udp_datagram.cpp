// The UDP audio uplink receive path (protocol/udp_uplink_receiver: header, sequence
// window, AES-128-CTR, Opus check, device address) over a run of datagrams with a fixed
// key. Input: records of [flags][length][16-byte header][length bytes]; flags bit 0
// encrypts the body under the key first (so the fuzzer reaches the checks after
// decryption), bits 1-2 pick one of four source addresses.
// Properties: no sequence is delivered twice; what is delivered is plausible Opus; the
// device address changes only when the receiver says so.
#include <set>

#include "fuzz/fuzz_check.h"
#include "protocol/udp_uplink_receiver.h"

using namespace xz::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = xz::fuzz::as_text(data, size);
  static const std::string key = "0123456789abcdef";
  UdpUplinkReceiver<int> rx(key, {.reorder_window = 16, .max_sequence_jump = 1000, .rebind_after = 2});
  std::set<std::uint32_t> delivered;
  while (in.size() >= 2 + kUdpHeaderSize) {
    const auto flags = std::uint8_t(in[0]);
    const std::size_t length = std::uint8_t(in[1]);
    in.remove_prefix(2);
    const std::string_view header = in.substr(0, kUdpHeaderSize);
    const std::string_view body = in.substr(kUdpHeaderSize, length);
    in.remove_prefix(std::min(in.size(), kUdpHeaderSize + length));
    std::string datagram;
    if (flags & 1) {
      datagram = encrypt_udp_packet(key, header_from_nonce(header), body);
    } else {
      datagram = std::string(header) + std::string(body);
    }
    const int from = (flags >> 1) & 3;
    const auto before = rx.device();
    const auto r = rx.receive(datagram, from);
    if (r.outcome == UplinkOutcome::deliver) {
      FUZZ_CHECK(r.packet.has_value());
      FUZZ_CHECK(plausible_uplink_opus(r.packet->opus, std::chrono::milliseconds(60)));
      FUZZ_CHECK(delivered.insert(r.packet->header.sequence).second);
      FUZZ_CHECK(r.packet->header.sequence >= 1);
      FUZZ_CHECK(rx.device() == from);
    } else {
      FUZZ_CHECK(!r.packet.has_value());
    }
    FUZZ_CHECK(r.address_moved == (rx.device() != before));
  }
  return 0;
}
