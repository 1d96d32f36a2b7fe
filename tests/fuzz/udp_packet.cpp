// MQTT+UDP audio datagrams (protocol/udp_packet, AES-128-CTR in protocol/cipher): the
// first 16 input bytes are the session key, the rest is the datagram. A datagram that
// decrypts re-encrypts to the same bytes.
#include "fuzz/fuzz_check.h"
#include "protocol/udp_packet.h"

using namespace xz::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = xz::fuzz::as_text(data, size);
  if (in.size() < 16) return 0;
  const std::string_view key = in.substr(0, 16), datagram = in.substr(16);
  (void)header_from_nonce(key);
  std::string error;
  const auto p = decrypt_udp_packet(key, datagram, &error);
  if (!p) {
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  FUZZ_CHECK(p->opus.size() + kUdpHeaderSize == datagram.size());
  FUZZ_CHECK(encrypt_udp_packet(key, p->header, p->opus) == datagram);
  return 0;
}
