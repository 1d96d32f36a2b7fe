#pragma once
// The symmetric crypto the device protocols use: AES-128-CTR for MQTT+UDP audio,
// AES-256-GCM and PBKDF2 for the vision token. Thin RAII wrappers over OpenSSL EVP.
#include <optional>
#include <string>
#include <string_view>

namespace xz::protocol {

// CTR is its own inverse: the same call encrypts and decrypts. The 16-byte IV is the
// initial counter block, incremented as a big-endian 128-bit number.
// Throws std::invalid_argument for a key or IV of the wrong size.
std::string aes_128_ctr(std::string_view key16, std::string_view iv16, std::string_view data);

// Returns ciphertext followed by the 16-byte tag.
std::string aes_256_gcm_seal(std::string_view key32, std::string_view iv12, std::string_view plaintext);
// `sealed` = ciphertext followed by the 16-byte tag; std::nullopt if authentication fails.
std::optional<std::string> aes_256_gcm_open(std::string_view key32, std::string_view iv12,
                                            std::string_view sealed);

// Slow by design (about 0.1 s of CPU for 100 000 iterations): keep it off event loops.
std::string pbkdf2_hmac_sha256(std::string_view password, std::string_view salt, int iterations,
                               std::size_t length);

}  // namespace xz::protocol
