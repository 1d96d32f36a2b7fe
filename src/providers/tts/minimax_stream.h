#pragma once
// MiniMax's streamed t2a_v2 answer as an audio stream: lines "data: {json}" whose
// data.audio is the hex of the next piece of audio (status 1); the final status-2 line
// (it carries extra_info) repeats the whole audio and is skipped, as the reference does.
// base_resp.status_code != 0 is the vendor's error, in a data line or as a plain JSON
// body. Lines that are not JSON are skipped (keep-alives).
#include <cstddef>
#include <memory>
#include <string>

#include "audio/audio_stream_decoder.h"

namespace xz::providers {

class MinimaxStreamBody final : public audio::AudioStreamDecoder {
 public:
  // `audio` decodes the hex-decoded bytes (pcm or mp3, as audio_setting.format asked).
  explicit MinimaxStreamBody(std::unique_ptr<audio::AudioStreamDecoder> audio);

  // Throws std::runtime_error "MiniMax error <code>: <message>" for the vendor's error,
  // audio::AudioFormatError for bad hex or audio, and for a line over 16 MiB.
  audio::DecodedPcm push(std::span<const std::uint8_t> bytes) override;
  audio::DecodedPcm finish() override;

 private:
  void line(std::string_view text, audio::DecodedPcm& out);
  void append(audio::DecodedPcm piece, audio::DecodedPcm& out) const;

  std::unique_ptr<audio::AudioStreamDecoder> audio_;
  std::string pending_;       // an unfinished line
  std::string other_;         // non-data text, for a plain JSON error body (bounded)
  bool saw_data_ = false;
};

}  // namespace xz::providers
