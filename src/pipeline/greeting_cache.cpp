#include "pipeline/greeting_cache.h"

#include "core/async.h"

namespace xz::pipeline {

GreetingCache::GreetingCache(providers::TtsEngine& tts, boost::asio::thread_pool& pool, DownlinkFormat fmt)
    : tts_(tts), pool_(pool), fmt_(fmt) {}

boost::asio::awaitable<std::shared_ptr<const CachedSpeech>> GreetingCache::get(std::string text) {
  {
    std::lock_guard lk(mu_);
    if (auto it = cache_.find(text); it != cache_.end()) co_return it->second;
  }
  // Two sessions asking at once may both synthesize; the result is the same.
  auto speech = std::make_shared<CachedSpeech>();
  speech->text = text;
  std::vector<providers::PcmChunk> chunks;
  // Named arguments: g++ 12 destroys braced temporaries of a co_await call twice.
  providers::TtsRequest request{text, "", ""};
  providers::PcmSink sink = [&](providers::PcmChunk c) -> boost::asio::awaitable<bool> {
    chunks.push_back(std::move(c));
    co_return true;
  };
  co_await tts_.synthesize(std::move(request), std::move(sink));
  speech->frames = co_await core::offload(pool_, [&] {
    PcmEncoder enc(fmt_);
    std::vector<std::string> frames;
    for (const auto& c : chunks)
      for (auto& f : enc.push(c)) frames.push_back(std::move(f));
    for (auto& f : enc.flush()) frames.push_back(std::move(f));
    return frames;
  });
  std::lock_guard lk(mu_);
  cache_[text] = speech;
  co_return speech;
}

}  // namespace xz::pipeline
