#pragma once
// Speech recognition. A streaming engine decodes while the user speaks so the text is
// ready right after end of speech; a batch engine transcribes at finish().
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace xz::providers {

struct AsrResult {
  std::string text;      // what the user said, without engine tags
  std::string language;  // when the engine reports it ("zh", "en", ...)
  // When the engine hears them (SenseVoice): the speaker's emotion and the audio event,
  // as the model names them ("HAPPY", "SAD", "NEUTRAL", ...; "Speech", "BGM", ...).
  std::string emotion;
  std::string event;
};

// A streaming engine's running transcript while the user still speaks (tags removed),
// called on the executor that awaits the stream. Turn-taking reads it; it never
// replaces the final result.
using AsrPartialSink = std::function<void(const std::string& text)>;

class AsrStream {
 public:
  virtual ~AsrStream() = default;
  // Streaming engines call `sink` with each partial result; batch engines ignore it.
  virtual void on_partial(AsrPartialSink sink) { (void)sink; }
  // 16 kHz mono PCM, in order. Work runs off the event loop.
  virtual boost::asio::awaitable<void> push(std::vector<std::int16_t> pcm) = 0;
  // End of utterance: the final transcript. Throws std::runtime_error on engine errors.
  virtual boost::asio::awaitable<AsrResult> finish() = 0;
};

class AsrEngine {
 public:
  virtual ~AsrEngine() = default;
  virtual boost::asio::awaitable<std::unique_ptr<AsrStream>> open() = 0;
};

}  // namespace xz::providers
