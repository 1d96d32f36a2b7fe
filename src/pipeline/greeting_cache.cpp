#include "pipeline/greeting_cache.h"

#include "core/async.h"

namespace xz::pipeline {

GreetingCache::GreetingCache(providers::TtsEngine& tts, boost::asio::thread_pool& pool, DownlinkFormat fmt,
                             WakeReplySettings wake)
    : tts_(tts), pool_(pool), fmt_(fmt), wake_(std::move(wake)), wake_replies_(wake_.max_voices) {}

boost::asio::awaitable<std::shared_ptr<const CachedSpeech>> GreetingCache::synthesize(std::string text,
                                                                                       std::string voice) {
  auto speech = std::make_shared<CachedSpeech>();
  speech->text = text;
  std::vector<providers::PcmChunk> chunks;
  // Named arguments: g++ 12 destroys braced temporaries of a co_await call twice.
  providers::TtsRequest request{std::move(text), std::move(voice), ""};
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
  co_return speech;
}

boost::asio::awaitable<std::shared_ptr<const CachedSpeech>> GreetingCache::get(std::string text) {
  {
    std::lock_guard lk(mu_);
    if (auto it = cache_.find(text); it != cache_.end()) co_return it->second;
  }
  // Two sessions asking at once may both synthesize; the result is the same.
  auto speech = co_await synthesize(text, "");
  std::lock_guard lk(mu_);
  cache_[text] = speech;
  co_return speech;
}

boost::asio::awaitable<GreetingCache::WakeReply> GreetingCache::wake_reply(std::string voice) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lk(mu_);
    if (auto hit = wake_replies_.get(voice, now))
      co_return WakeReply{hit->speech, now - hit->made > wake_.refresh_after && !wake_.lines.empty()};
  }
  // No reply of this voice yet: the first reply, and a line is made for next time.
  WakeReply r;
  if (voice.empty()) {
    r.speech = co_await get(wake_.first_reply);
  } else {
    r.speech = co_await synthesize(wake_.first_reply, voice);
  }
  r.refresh_due = !wake_.lines.empty();
  co_return r;
}

boost::asio::awaitable<void> GreetingCache::refresh_wake_reply(std::string voice) {
  std::string line;
  {
    std::lock_guard lk(mu_);
    if (wake_.lines.empty() || refreshing_.contains(voice)) co_return;
    refreshing_.insert(voice);
    std::uniform_int_distribution<std::size_t> pick(0, wake_.lines.size() - 1);
    line = wake_.lines[pick(random_)];
  }
  struct Done {
    GreetingCache& cache;
    const std::string& voice;
    ~Done() {
      std::lock_guard lk(cache.mu_);
      cache.refreshing_.erase(voice);
    }
  } done{*this, voice};
  auto speech = co_await synthesize(std::move(line), voice);
  std::lock_guard lk(mu_);
  wake_replies_.put(voice, Wake{std::move(speech), std::chrono::steady_clock::now()},
                    std::chrono::steady_clock::time_point::max());
}

std::size_t GreetingCache::wake_voices() {
  std::lock_guard lk(mu_);
  return wake_replies_.size();
}

}  // namespace xz::pipeline
