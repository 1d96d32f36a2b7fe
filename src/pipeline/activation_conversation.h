#pragma once
// The conversation of a device nobody has bound (server.activation), as the official
// server does it: on hello the device is shown its activation message with the code
// (stt and the subtitle) and hears it: the message, then each digit on its own with a
// pause around it, so a TTS never reads "123456" as one number. Then tts stop, and the session closes. Nothing
// the device sends is acted on, and no LLM is ever asked. The message and each digit
// are synthesized once (GreetingCache) and shared by every device: unbound devices cost
// no TTS calls after the first.
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/async.h"
#include "pipeline/conversation_settings.h"
#include "pipeline/greeting_cache.h"
#include "pipeline/speaker.h"
#include "pipeline/voice_metrics.h"
#include "providers/tts/tts.h"
#include "session/conversation.h"

namespace xz::pipeline {

// The parts of the voice services the prompt uses; they outlive every session.
struct ActivationVoice {
  const ConversationSettings& settings;
  GreetingCache& speech_cache;
  providers::TtsEngine& tts;
  boost::asio::thread_pool& pool;
  VoiceMetrics& metrics;
  std::shared_ptr<const void> keep_alive{};  // what the references above live in (a profile)
};

class ActivationConversation final : public session::Conversation {
 public:
  ActivationConversation(const session::ConversationContext& ctx, ActivationVoice voice,
                         session::ActivationPrompt prompt);
  ~ActivationConversation() override;

  // The first hello starts the prompt; later ones change nothing.
  void on_hello(const protocol::HelloMsg& hello) override;
  void on_audio(std::string_view, std::uint32_t) override {}
  void on_listen(const protocol::ListenMsg&) override {}
  void on_abort(std::string_view) override {}
  void on_mcp(const nlohmann::json&) override {}
  void on_iot(const protocol::IotMsg&) override {}
  void on_no_voice_timeout() override {}
  bool busy() const override { return started_ && !done_.is_set(); }
  // The prompt closes the session itself when it has been told.
  void close_session_after_reply(std::string reason) override;
  boost::asio::awaitable<void> stop() override;
  bool speak(std::string) override { return false; }
  boost::asio::awaitable<protocol::McpCallOutcome> call_device_tool(std::string name,
                                                                    nlohmann::json arguments) override;
  nlohmann::json describe_tools() const override;

  // What the device shows: "<message> <code>".
  static std::string shown_text(const session::ActivationPrompt& prompt);

 private:
  boost::asio::awaitable<void> tell();
  // The message and the digits, one clip each, as one piece of speech showing `text`.
  boost::asio::awaitable<CachedSpeech> compose(std::string text);

  session::DeviceLink& link_;
  session::SessionHooks& hooks_;
  const std::string& session_id_;
  const core::SessionLog& log_;
  boost::asio::any_io_executor ex_;
  ActivationVoice voice_;
  session::ActivationPrompt prompt_;
  std::unique_ptr<Speaker> speaker_;
  boost::asio::steady_timer tail_;
  core::Event done_;
  bool started_ = false;
  bool stopping_ = false;
};

}  // namespace xz::pipeline
