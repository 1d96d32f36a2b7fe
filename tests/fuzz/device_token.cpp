// Device tokens on the WebSocket and OTA (protocol/device_token). Input: client id,
// device id and token, each on its own line. Only the exact text make_device_token
// writes verifies: no second spelling of a token is accepted.
#include <charconv>

#include "fuzz/fuzz_check.h"
#include "protocol/device_token.h"

using namespace xz::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = xz::fuzz::as_text(data, size);
  std::string_view fields[3];
  for (auto& f : fields) {
    const auto nl = in.find('\n');
    f = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  }
  // The key and time of ../shared/spec/test-vectors.json, so its token (a seed) verifies.
  const std::string_view key = "xiaozhi-test-key-0123456789", client = fields[0], device = fields[1], token = fields[2];
  const std::int64_t now = 1'767'225'600 + 60;
  const TokenCheck c = verify_device_token(key, token, client, device, now, 3600);
  (void)to_string(c);
  if (c == TokenCheck::ok || c == TokenCheck::expired) {
    const auto ts_text = token.substr(token.find('.') + 1);
    std::int64_t ts = 0;
    FUZZ_CHECK(std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts).ec == std::errc());
    FUZZ_CHECK(make_device_token(key, client, device, ts) == token);
    FUZZ_CHECK((c == TokenCheck::ok) == (now - ts <= 3600));
  }
  // What we mint verifies.
  FUZZ_CHECK(verify_device_token(key, make_device_token(key, client, device, now - 10), client, device, now, 3600) ==
             TokenCheck::ok);
  return 0;
}
