#pragma once
// Vendors that answer one JSON document holding base64 audio (Doubao's HTTP API,
// Tencent Cloud, PaddleSpeech's HTTP server): the body is kept (bounded), and at its end
// the vendor's field is read, checked for the vendor's error and decoded.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "audio/audio_stream_decoder.h"

namespace xz::providers {

// The base64 audio in a vendor's answer; throws std::runtime_error with the vendor's
// own error when the answer is one.
using Base64AudioField = std::function<std::string(const nlohmann::json& answer)>;

class JsonAudioBody final : public audio::AudioStreamDecoder {
 public:
  JsonAudioBody(Base64AudioField field, std::unique_ptr<audio::AudioStreamDecoder> audio,
                std::size_t max_bytes = 32 * 1024 * 1024);

  // Keeps the bytes; an answer over max_bytes is an AudioFormatError.
  audio::DecodedPcm push(std::span<const std::uint8_t> bytes) override;
  // Parses the answer and decodes its audio. Throws AudioFormatError for a body that is
  // not JSON or audio that is not base64 or does not decode; the field's own errors.
  audio::DecodedPcm finish() override;

 private:
  Base64AudioField field_;
  std::unique_ptr<audio::AudioStreamDecoder> audio_;
  std::size_t max_bytes_;
  std::string body_;
};

}  // namespace xz::providers
