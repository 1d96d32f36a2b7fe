#pragma once
// Pre-synthesized replies, shared by every session: made with the configured TTS, then
// sent from memory, so a greeting costs no synthesis.
//
// Wake-word replies follow the reference (enable_wakeup_words_response_cache): each
// voice has one current reply, played at once on a wake word; when it is older than
// refresh_after, a random line of `lines` is synthesized in the background and becomes
// the voice's reply. Until a voice has one, `first_reply` is played (and a refresh is
// due). Replies live in memory only, for at most max_voices voices.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/bounded_cache.h"
#include "pipeline/pcm_encoder.h"
#include "providers/tts/tts.h"

namespace xz::pipeline {

struct CachedSpeech {
  std::string text;
  std::vector<std::string> frames;  // Opus at the downlink format
};

struct WakeReplySettings {
  std::string first_reply;           // wakeup_words_response
  std::vector<std::string> lines;    // wakeup_words_responses; empty = never refreshed
  std::chrono::milliseconds refresh_after{10000};
  std::size_t max_voices = 4;
};

class GreetingCache {
 public:
  GreetingCache(providers::TtsEngine& tts, boost::asio::thread_pool& pool, DownlinkFormat fmt,
                WakeReplySettings wake = {});
  // The cached speech of `text`, synthesizing it on first use.
  boost::asio::awaitable<std::shared_ptr<const CachedSpeech>> get(std::string text);

  struct WakeReply {
    std::shared_ptr<const CachedSpeech> speech;
    bool refresh_due = false;  // call refresh_wake_reply (in the background)
  };
  // The wake-word reply of `voice` ("" = the engine's own voice).
  boost::asio::awaitable<WakeReply> wake_reply(std::string voice);
  // Synthesizes a random line and makes it the voice's reply. Does nothing when no
  // lines are configured or a refresh of that voice is already running.
  boost::asio::awaitable<void> refresh_wake_reply(std::string voice);

  // Voices holding a reply now (tests, bounds).
  std::size_t wake_voices();

 private:
  boost::asio::awaitable<std::shared_ptr<const CachedSpeech>> synthesize(std::string text, std::string voice);

  struct Wake {
    std::shared_ptr<const CachedSpeech> speech;
    std::chrono::steady_clock::time_point made;
  };

  providers::TtsEngine& tts_;
  boost::asio::thread_pool& pool_;
  DownlinkFormat fmt_;
  WakeReplySettings wake_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const CachedSpeech>> cache_;
  core::BoundedCache<std::string, Wake> wake_replies_;
  std::set<std::string> refreshing_;
  std::mt19937 random_{std::random_device{}()};
};

}  // namespace xz::pipeline
