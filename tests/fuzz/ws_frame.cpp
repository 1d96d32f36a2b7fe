// WebSocket frame headers (net/ws_frame): what a device or an MCP server sends first in
// every frame. A header that parses must re-encode to the same bytes (lengths are
// minimally encoded), and unmasking is its own inverse at any offset.
#include <cstring>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "net/ws_frame.h"

using namespace xz::net::ws;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const ParsedHeader p = parse_frame_header(bytes);
  if (p.status == ParseStatus::invalid) FUZZ_CHECK(!p.error.empty());
  if (p.status == ParseStatus::incomplete) {
    // More bytes may complete it; fewer never make it valid.
    FUZZ_CHECK(size < kMaxHeaderBytes);
    return 0;
  }
  if (p.status != ParseStatus::ok) return 0;
  const FrameHeader& h = p.header;
  FUZZ_CHECK(h.header_bytes >= 2 && h.header_bytes <= kMaxHeaderBytes && h.header_bytes <= size);
  if (is_control(h.opcode)) FUZZ_CHECK(h.fin && h.payload_bytes <= 125);
  const EncodedHeader e = encode_frame_header(h.opcode, h.fin, h.payload_bytes, h.masked ? &h.mask : nullptr);
  FUZZ_CHECK(e.size == h.header_bytes);
  FUZZ_CHECK(std::memcmp(e.bytes.data(), data, e.size) == 0);

  // Unmask what follows the header in two pieces, then mask it again.
  std::vector<char> payload(data + h.header_bytes, data + size);
  const std::vector<char> original = payload;
  const std::size_t cut = payload.empty() ? 0 : data[0] % (payload.size() + 1);
  apply_mask(std::span<char>(payload.data(), cut), h.mask, 0);
  apply_mask(std::span<char>(payload.data() + cut, payload.size() - cut), h.mask, cut);
  apply_mask(std::span<char>(payload.data(), payload.size()), h.mask, 0);
  FUZZ_CHECK(payload == original);

  if (h.opcode == Opcode::close && size >= h.header_bytes + 2) {
    (void)is_valid_close_code(static_cast<std::uint16_t>(data[h.header_bytes] << 8 | data[h.header_bytes + 1]));
  }
  return 0;
}
