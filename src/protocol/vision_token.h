#pragma once
// The reference server's vision-endpoint token (core/utils/auth.py AuthToken):
//   JWT HS256 (key = auth_key bytes), payload {"data": base64url(iv12 | AES-256-GCM(inner) | tag16)}
//   inner = Python json.dumps({"device_id": ..., "exp": <unix seconds float>})
//   AES key = PBKDF2-HMAC-SHA256(auth_key, "fixed_salt_placeholder", 100000, 32 bytes)
// Tokens made here are byte-identical to the reference's for the same IV.
#include <optional>
#include <string>
#include <string_view>

namespace xz::protocol {

class VisionTokenCodec {
 public:
  // Runs PBKDF2 (about 0.1 s of CPU): construct once, off the event loop.
  explicit VisionTokenCodec(std::string auth_key);

  // Random IV. Throws std::invalid_argument if exp_unix is not finite.
  std::string make(std::string_view device_id, double exp_unix) const;
  // iv12 must be 12 bytes (std::invalid_argument otherwise).
  std::string make_with_iv(std::string_view device_id, double exp_unix, std::string_view iv12) const;
  // The device id inside a valid, unexpired token; std::nullopt otherwise. Expired means
  // exp < now_unix (the reference's rule). An outer JWT "exp" claim, if any, is honoured too.
  std::optional<std::string> verify(std::string_view token, double now_unix) const;

  // The derived AES-256 key (32 raw bytes).
  const std::string& aes_key() const { return aes_key_; }

 private:
  std::string auth_key_;
  std::string aes_key_;
};

}  // namespace xz::protocol
