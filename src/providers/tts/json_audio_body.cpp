#include "providers/tts/json_audio_body.h"

#include <fmt/format.h>

#include "protocol/encoding.h"
#include "protocol/json_text.h"
#include "providers/llm/llm_config_wire.h"

namespace xz::providers {

JsonAudioBody::JsonAudioBody(Base64AudioField field, std::unique_ptr<audio::AudioStreamDecoder> audio,
                             std::size_t max_bytes)
    : field_(std::move(field)), audio_(std::move(audio)), max_bytes_(max_bytes) {}

audio::DecodedPcm JsonAudioBody::push(std::span<const std::uint8_t> bytes) {
  if (body_.size() + bytes.size() > max_bytes_)
    throw audio::AudioFormatError(fmt::format("answer larger than {} bytes", max_bytes_));
  body_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return {};
}

audio::DecodedPcm JsonAudioBody::finish() {
  const auto answer = protocol::parse_json_text(body_);
  if (answer.is_discarded())
    throw audio::AudioFormatError(fmt::format("answer is not JSON: {}", llm_config::shorten(body_, 200)));
  const std::string b64 = field_(answer);
  std::string().swap(body_);
  auto bytes = protocol::base64_decode(b64);
  if (!bytes) throw audio::AudioFormatError("the answer's audio is not base64");
  auto out = audio_->push(audio::as_bytes(*bytes));
  auto rest = audio_->finish();
  if (out.samples.empty()) return rest;
  out.samples.insert(out.samples.end(), rest.samples.begin(), rest.samples.end());
  return out;
}

}  // namespace xz::providers
