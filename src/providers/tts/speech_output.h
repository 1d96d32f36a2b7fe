#pragma once
// A vendor's audio bytes -> mono PCM -> the pipeline's sink, piece by piece as they
// arrive: what every engine that receives compressed or raw audio does the same way.
#include <cstddef>
#include <memory>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "audio/audio_stream_decoder.h"
#include "providers/tts/tts.h"

namespace xz::providers {

// Nothing but whitespace: no request is made for it.
inline bool is_blank(std::string_view text) { return text.find_first_not_of(" \t\r\n") == std::string_view::npos; }

class SpeechOutput {
 public:
  // `sink` and `pool` must outlive this object.
  SpeechOutput(std::unique_ptr<audio::AudioStreamDecoder> decoder, PcmSink& sink, boost::asio::thread_pool& pool);

  // Decodes a piece and hands what it gives to the sink. False once the sink said stop.
  // Throws audio::AudioFormatError for audio that does not decode.
  boost::asio::awaitable<bool> push(std::string_view bytes);
  // The end of the audio: what the decoder still holds. False once the sink said stop.
  boost::asio::awaitable<bool> finish();

  bool stopped() const { return stopped_; }
  // Samples handed to the sink so far.
  std::size_t samples() const { return samples_; }

 private:
  boost::asio::awaitable<bool> deliver(audio::DecodedPcm pcm);

  std::unique_ptr<audio::AudioStreamDecoder> decoder_;
  PcmSink* sink_;
  boost::asio::thread_pool* pool_;
  std::size_t samples_ = 0;
  bool stopped_ = false;
};

}  // namespace xz::providers
