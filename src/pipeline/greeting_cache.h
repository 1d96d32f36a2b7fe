#pragma once
// Pre-synthesized replies (the wake-word greeting), shared by every session: made once
// with the configured TTS, then sent from memory, so a greeting costs no synthesis.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "pipeline/pcm_encoder.h"
#include "providers/tts/tts.h"

namespace xz::pipeline {

struct CachedSpeech {
  std::string text;
  std::vector<std::string> frames;  // Opus at the downlink format
};

class GreetingCache {
 public:
  GreetingCache(providers::TtsEngine& tts, boost::asio::thread_pool& pool, DownlinkFormat fmt);
  // The cached speech of `text`, synthesizing it on first use.
  boost::asio::awaitable<std::shared_ptr<const CachedSpeech>> get(std::string text);

 private:
  providers::TtsEngine& tts_;
  boost::asio::thread_pool& pool_;
  DownlinkFormat fmt_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const CachedSpeech>> cache_;
};

}  // namespace xz::pipeline
