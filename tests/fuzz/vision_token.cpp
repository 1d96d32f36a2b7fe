// Vision-endpoint tokens (protocol/vision_token): a JWT whose payload carries an
// AES-256-GCM sealed JSON text. The first byte chooses what the rest is, so the fuzzer
// also reaches the parsing behind the signature and the seal:
//   0: a token as sent;  1: "header JSON\npayload JSON", signed here;
//   2: the sealed inner JSON text, sealed and signed here.
#include <cmath>

#include "fuzz/fuzz_check.h"
#include "protocol/cipher.h"
#include "protocol/encoding.h"
#include "protocol/vision_token.h"

using namespace xz::protocol;

namespace {

// The key of ../shared/spec/test-vectors.json, so its token (a seed) verifies.
constexpr std::string_view kKey = "xiaozhi-test-key-0123456789";
constexpr double kNow = 1'767'225'600.0;

std::string signed_token(std::string_view header, std::string_view payload) {
  const std::string input = base64url_encode(header, false) + "." + base64url_encode(payload, false);
  return input + "." + base64url_encode(hmac_sha256(kKey, input), false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const VisionTokenCodec codec{std::string(kKey)};  // PBKDF2 once
  if (size == 0) return 0;
  const std::string_view rest = xz::fuzz::as_text(data + 1, size - 1);
  std::string token;
  switch (data[0] % 3) {
    case 0:
      token = rest;
      break;
    case 1: {
      const auto nl = rest.find('\n');
      if (nl == std::string_view::npos) return 0;
      token = signed_token(rest.substr(0, nl), rest.substr(nl + 1));
      break;
    }
    default: {
      const std::string iv(12, '\x07');
      const std::string sealed = base64url_encode(iv + aes_256_gcm_seal(codec.aes_key(), iv, rest), true);
      token = signed_token(R"({"alg":"HS256","typ":"JWT"})", R"({"data":")" + sealed + "\"}");
    }
  }
  const auto device = codec.verify(token, kNow);
  if (device && data[0] % 3 == 0) FUZZ_CHECK(!token.empty());
  // A token we make for an ASCII id verifies to that id.
  std::string id;
  for (char c : rest.substr(0, 32))
    if (c >= 0x20 && c < 0x7f) id += c;
  FUZZ_CHECK(codec.verify(codec.make_with_iv(id, kNow + 60, std::string(12, 'i')), kNow) == id);
  return 0;
}
