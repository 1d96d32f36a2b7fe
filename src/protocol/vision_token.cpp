#include "protocol/vision_token.h"

#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "protocol/cipher.h"
#include "protocol/encoding.h"
#include "protocol/json_text.h"
#include "protocol/python_json.h"

namespace xz::protocol {
namespace {

constexpr std::string_view kSalt = "fixed_salt_placeholder";
constexpr int kIterations = 100000;
// PyJWT's header for HS256, compact and key-sorted.
constexpr std::string_view kJwtHeader = R"({"alg":"HS256","typ":"JWT"})";

std::optional<nlohmann::json> parse_object(std::string_view text) {
  auto j = parse_json_text(text);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

}  // namespace

VisionTokenCodec::VisionTokenCodec(std::string auth_key)
    : auth_key_(std::move(auth_key)),
      aes_key_(pbkdf2_hmac_sha256(auth_key_, kSalt, kIterations, 32)) {}

std::string VisionTokenCodec::make(std::string_view device_id, double exp_unix) const {
  return make_with_iv(device_id, exp_unix, random_bytes(12));
}

std::string VisionTokenCodec::make_with_iv(std::string_view device_id, double exp_unix,
                                           std::string_view iv12) const {
  if (!std::isfinite(exp_unix)) throw std::invalid_argument("vision token: exp must be finite");
  if (iv12.size() != 12) throw std::invalid_argument("vision token: IV must be 12 bytes");
  const std::string inner =
      "{\"device_id\": " + python_json_string(device_id) + ", \"exp\": " + python_float_repr(exp_unix) + "}";
  const std::string data =
      base64url_encode(std::string(iv12) + aes_256_gcm_seal(aes_key_, iv12, inner), true);
  const std::string signing_input =
      base64url_encode(kJwtHeader, false) + "." + base64url_encode("{\"data\":\"" + data + "\"}", false);
  return signing_input + "." + base64url_encode(hmac_sha256(auth_key_, signing_input), false);
}

std::optional<std::string> VisionTokenCodec::verify(std::string_view token, double now_unix) const {
  const auto dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return std::nullopt;
  const auto dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view signing_input = token.substr(0, dot2);
  const auto sig = base64url_decode(token.substr(dot2 + 1));
  if (!sig || !constant_time_equal(*sig, hmac_sha256(auth_key_, signing_input))) return std::nullopt;

  const auto header_text = base64url_decode(token.substr(0, dot1));
  const auto payload_text = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!header_text || !payload_text) return std::nullopt;
  const auto header = parse_object(*header_text);
  const auto payload = parse_object(*payload_text);
  if (!header || !payload) return std::nullopt;
  const auto alg = header->find("alg");
  if (alg == header->end() || *alg != "HS256") return std::nullopt;
  // PyJWT rejects an outer exp at or before now.
  if (const auto exp = payload->find("exp"); exp != payload->end()) {
    if (!exp->is_number() || exp->get<double>() <= now_unix) return std::nullopt;
  }

  const auto data_field = payload->find("data");
  if (data_field == payload->end() || !data_field->is_string()) return std::nullopt;
  const auto sealed = base64url_decode(data_field->get_ref<const std::string&>());
  if (!sealed || sealed->size() < 12 + 16) return std::nullopt;
  const auto plain = aes_256_gcm_open(aes_key_, std::string_view(*sealed).substr(0, 12),
                                      std::string_view(*sealed).substr(12));
  if (!plain) return std::nullopt;
  const auto inner = parse_object(*plain);
  if (!inner) return std::nullopt;
  const auto exp = inner->find("exp");
  const auto device = inner->find("device_id");
  if (exp == inner->end() || !exp->is_number() || device == inner->end() || !device->is_string()) {
    return std::nullopt;
  }
  if (exp->get<double>() < now_unix) return std::nullopt;
  return device->get<std::string>();
}

}  // namespace xz::protocol
