#include "pipeline/activation_conversation.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "protocol/server_messages.h"

namespace xz::pipeline {

namespace asio = boost::asio;

namespace {
constexpr std::chrono::milliseconds kPause{400};
}  // namespace

ActivationConversation::ActivationConversation(const session::ConversationContext& ctx, ActivationVoice voice,
                                               session::ActivationPrompt prompt)
    : link_(ctx.link),
      hooks_(ctx.hooks),
      session_id_(ctx.session_id),
      log_(ctx.log),
      ex_(ctx.executor),
      voice_(voice),
      prompt_(std::move(prompt)),
      tail_(ctx.executor),
      done_(ctx.executor) {}

ActivationConversation::~ActivationConversation() = default;

std::string ActivationConversation::shown_text(const session::ActivationPrompt& prompt) {
  return prompt.message.empty() ? prompt.code : prompt.message + " " + prompt.code;
}

void ActivationConversation::on_hello(const protocol::HelloMsg&) {
  if (started_ || stopping_) return;
  started_ = true;
  asio::co_spawn(ex_, tell(), asio::detached);
}

asio::awaitable<CachedSpeech> ActivationConversation::compose(std::string text) {
  CachedSpeech out;
  out.text = std::move(text);
  // A pause between the pieces: digits synthesized one by one still run together
  // ("three eight six" heard as "three eighty-six") without one.
  const DownlinkFormat fmt = voice_.settings.downlink;
  auto make_pause = [fmt] {
    PcmEncoder encoder(fmt);
    std::vector<std::int16_t> silence(static_cast<std::size_t>(fmt.sample_rate) * kPause.count() / 1000, 0);
    auto frames = encoder.push(silence, fmt.sample_rate);
    for (auto& f : encoder.flush()) frames.push_back(std::move(f));
    return frames;
  };
  const std::vector<std::string> pause = co_await core::offload(voice_.pool, std::move(make_pause));
  std::vector<std::string> pieces;
  if (!prompt_.message.empty()) pieces.push_back(prompt_.message);
  for (char digit : prompt_.code) pieces.emplace_back(1, digit);
  for (auto& piece : pieces) {
    auto clip = co_await voice_.speech_cache.get(std::move(piece));
    if (stopping_) break;
    if (!out.frames.empty()) out.frames.insert(out.frames.end(), pause.begin(), pause.end());
    out.frames.insert(out.frames.end(), clip->frames.begin(), clip->frames.end());
  }
  co_return out;
}

asio::awaitable<void> ActivationConversation::tell() {
  if (stopping_) {  // the connection ended before this started
    done_.set();
    co_return;
  }
  const std::string text = shown_text(prompt_);
  log_.info("not activated: telling the device its activation code {}", prompt_.code);
  speaker_ = std::make_unique<Speaker>(ex_, voice_.settings, voice_.tts, voice_.pool, link_, session_id_,
                                       voice_.metrics, log_);
  speaker_->begin_reply(std::make_shared<TurnTimings>());
  link_.send_text(protocol::make_stt(session_id_, text));
  link_.send_text(protocol::make_tts_start(session_id_));
  hooks_.set_state("speaking");
  try {
    CachedSpeech speech = co_await compose(text);
    if (!stopping_) {
      speaker_->say_cached(speech);
      co_await speaker_->drained();
      speaker_->end_reply();
      // The device plays what the pacer sent ahead; tts stop after it has.
      tail_.expires_at(speaker_->playback_end() + voice_.settings.tts_stop_tail);
      co_await tail_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  } catch (const std::exception& e) {
    // The code is on the screen already; without speech it is still usable.
    if (!stopping_) log_.error("activation prompt: speech failed: {}", e.what());
  }
  if (!stopping_) {
    link_.send_text(protocol::make_tts_stop(session_id_));
    hooks_.close_session("not activated: the activation code was told");
  }
  done_.set();
}

void ActivationConversation::close_session_after_reply(std::string reason) {
  if (!busy()) hooks_.close_session(std::move(reason));
}

asio::awaitable<void> ActivationConversation::stop() {
  stopping_ = true;
  tail_.cancel();
  if (speaker_) speaker_->stop();
  if (started_ && !done_.is_set()) co_await done_.wait();
}

asio::awaitable<protocol::McpCallOutcome> ActivationConversation::call_device_tool(std::string, nlohmann::json) {
  throw std::runtime_error("the device is not activated");
  co_return protocol::McpCallOutcome{};
}

nlohmann::json ActivationConversation::describe_tools() const {
  return {{"llm", nlohmann::json::array()}, {"device", nlohmann::json::array()}};
}

}  // namespace xz::pipeline
