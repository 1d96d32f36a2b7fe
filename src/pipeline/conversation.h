#pragma once
// One device's voice conversation: hears utterances (Listener), answers them with the
// LLM streamed into the Speaker, and handles wake words, typed text, exit commands,
// the goodbye turn and barge-in. A reply is one cancellable unit ("turn"); cancelling
// it stops the LLM stream and TTS, empties the pacer, and sends tts stop at once.
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/cancellation_signal.hpp>

#include "core/async.h"
#include "core/token_bucket.h"
#include "history/turn_record.h"
#include "pipeline/conversation_settings.h"
#include "pipeline/dialogue.h"
#include "pipeline/greeting_cache.h"
#include "pipeline/listener.h"
#include "pipeline/prompt_context.h"
#include "pipeline/speaker.h"
#include "pipeline/session_tools.h"
#include "pipeline/turn_timings.h"
#include "pipeline/voice_profile.h"
#include "pipeline/voice_services.h"
#include "pipeline/voice_metrics.h"
#include "providers/asr/asr.h"
#include "providers/llm/llm.h"
#include "providers/tts/tts.h"
#include "providers/vad/vad.h"
#include "session/conversation.h"
#include "tools/tool.h"
#include "tools/tool_registry.h"

namespace xz::memory {
class Memory;
}
namespace xz::pipeline {

class SpeechQueue;

class Conversation : public session::Conversation, public tools::SessionActions {
 public:
  // Talks with `profile` until a newer one is adopted at a turn boundary.
  Conversation(const session::ConversationContext& ctx, VoiceServices& services, ProfilePtr profile);
  ~Conversation() override;

  // Routing of the device's events (conversation.cpp).

  void on_hello(const protocol::HelloMsg& hello) override;
  void on_audio(std::string_view opus, std::uint32_t timestamp) override;
  void on_listen(const protocol::ListenMsg& msg) override;
  void on_abort(std::string_view reason) override;
  void on_mcp(const nlohmann::json& payload) override;
  void on_iot(const protocol::IotMsg& msg) override;
  void on_no_voice_timeout() override;
  void on_config_changed() override;
  bool busy() const override { return turn_ != nullptr; }
  void close_session_after_reply(std::string reason) override;
  boost::asio::awaitable<void> stop() override;
  bool speak(std::string text) override;
  boost::asio::awaitable<protocol::McpCallOutcome> call_device_tool(std::string name,
                                                                    nlohmann::json arguments) override;
  nlohmann::json describe_tools() const override;

  // tools::SessionActions
  const std::string& device_id() const override { return device_id_; }
  const std::string& session_id() const override { return session_id_; }
  boost::asio::any_io_executor executor() const override { return ex_; }
  void close_after_reply() override;
  void set_persona(std::string prompt) override;
  boost::asio::awaitable<void> play_audio(
      std::string title, std::function<boost::asio::awaitable<providers::PcmChunk>()> next) override;
  boost::asio::awaitable<tools::ToolResult> run_device_tool(std::string name, nlohmann::json arguments) override;
  std::string client_ip() const override { return prompt_subject_.client_ip; }
  boost::asio::awaitable<std::string> client_city() override;

  tools::ToolRegistry& tools() { return tools_.registry(); }

 private:
  enum class TurnKind { user, typed, greeting, goodbye, push };
  struct TurnRequest {
    TurnKind kind = TurnKind::user;
    std::string text;  // what the user said (or the goodbye instruction)
    // What the LLM is told the user said when it is more than the words: the reference's
    // {"content", "language", "emotion"} JSON for engines that hear an emotion. "" = text.
    std::string llm_text;
    const std::string& words_for_llm() const { return llm_text.empty() ? text : llm_text; }
    std::vector<std::string> user_audio;  // its uplink Opus packets (chat history audio only)
    bool show_stt = true;
    bool close_after = false;
    bool speculative = false;  // started at a pause, before the end of speech
    std::shared_ptr<TurnTimings> timings = std::make_shared<TurnTimings>();
  };
  // How a reply ended; end_reply() does what each way needs.
  enum class ReplyEnd {
    finished,     // it said all it had to say
    interrupted,  // barge-in, abort, a new turn or an operator push cut it short
    failed,       // something broke: the device must not stay in speaking
    closing,      // the session closes: nothing more is sent to the device
    discarded,    // a held (speculative) reply the device never saw
  };
  struct Turn {
    explicit Turn(boost::asio::any_io_executor ex) : done(ex), confirmed(ex) {}
    std::uint64_t id = 0;
    ProfilePtr profile;  // what the whole turn runs on, even when a newer one arrives meanwhile
    TurnRequest req;
    boost::asio::cancellation_signal cancel;
    bool cancelled = false;
    bool ended = false;  // end_reply() ran: a reply ends once
    std::string reply;  // the answer text of the current LLM round
    std::size_t played_before_round = 0;  // segments heard before this round's text
    core::Event done;   // the turn coroutine has finished
    // Audio a tool asked to play (music), queued behind the speech of this reply.
    std::vector<std::pair<std::string, std::function<boost::asio::awaitable<providers::PcmChunk>()>>> playback;
    std::vector<history::ToolCallRecord> tool_log;  // for the chat history
    std::string said;  // everything the reply said, for the chat history
    std::int64_t started_unix_ms = 0;
    // A speculative reply until the end of speech confirms it: what the device would see
    // waits in held_texts (and the Speaker's pacer), the user's words are not in the
    // dialogue yet, and tool calls wait for `confirmed`.
    bool held = false;
    std::vector<std::string> held_texts;
    bool user_in_dialogue = true;
    core::Event confirmed;
  };

  // The device asks for a new turn: false (logged, counted) past max_turns_per_minute.
  bool admit_turn(std::string_view what);
  void on_utterance(Utterance u);
  void on_asr_failed(const std::string& reason);
  void on_speech_started();
  // Speculation: a transcript at a pause starts a held reply; the end of speech confirms
  // it (on_utterance), voice again discards it.
  void on_speculative_text(const providers::AsrResult& heard);
  void confirm_speculation(Utterance& u);
  // Cancels a held reply unseen: no message, no history, no memory; counted.
  void discard_speculation(std::string_view why);
  // Sends a message of turn t to the device, or keeps it while t is held.
  void send_for(Turn& t, std::string json);
  // A tool call of a held reply waits here; throws operation_aborted when discarded.
  boost::asio::awaitable<void> wait_confirmed(Turn& t);
  void on_detect(const std::string& text);
  void start_turn(TurnRequest req);
  // Stops the current turn at once (barge-in/abort/close); true if the device saw it
  // (a held reply is discarded silently).
  bool cancel_turn(std::string_view why, ReplyEnd how = ReplyEnd::interrupted);
  // Replying (conversation_reply.cpp): the turn's coroutine, the LLM and tool loop, the
  // system prompt, the end of the reply and its history record.
  boost::asio::awaitable<void> run_turn(std::shared_ptr<Turn> turn, std::shared_ptr<Turn> previous);
  boost::asio::awaitable<void> answer(Turn& turn);
  boost::asio::awaitable<void> speak_text(Turn& turn);
  // Runs one round of tool calls and queues what they say; true when the LLM must
  // answer with their results.
  boost::asio::awaitable<bool> run_tool_round(Turn& turn, std::vector<providers::ToolCall> calls, int round,
                                              SpeechQueue& speech);
  Listener& listener();
  Speaker& speaker();
  // The manager wants this device's audio in its chat reports (chat_history_conf 2).
  static bool reports_audio(const VoiceServices& svc, const VoiceProfile& profile);
  // The turn goes to the chat history (finished or interrupted).
  void record_turn(Turn& turn, bool interrupted);
  // The one end of every reply, however it ended: tts stop once (none for a held reply
  // or a closing session), the dialogue and the chat history, the device's state, then
  // the session's close-after-reply (close_if_asked) and the turn's own close_after.
  // Cancels the turn's coroutine when it was cut short. A second call does nothing.
  void end_reply(Turn& turn, ReplyEnd how, std::string_view why = {});
  // At the end of a reply, however it ended: closes the session when
  // close_session_after_reply() asked for it; true when it did.
  bool close_if_asked();
  bool is_exit_command(const std::string& text) const;
  bool is_wake_word(const std::string& text) const;
  const ConversationSettings& settings() const { return *profile_->settings; }
  // Asks the profile source again (a configuration change); the answer is adopted at
  // the next turn boundary.
  void refresh_profile();
  boost::asio::awaitable<void> fetch_profile(std::weak_ptr<bool> alive);
  void adopt_pending_profile();
  // Work that outlives a reply but not the connection (prompt lookups, refreshing the
  // wake-word reply): cancelled and awaited by stop().
  void run_in_background(std::string what, boost::asio::awaitable<void> work);
  boost::asio::awaitable<void> gather_prompt_facts(PromptSubject subject);
  // The system prompt for this reply: the template (when configured) around the
  // configured prompt or role, the reply's time, and the memory.
  boost::asio::awaitable<std::string> system_prompt(Turn& turn);

  session::DeviceLink& link_;
  std::string device_id_;
  session::SessionHooks& hooks_;
  const std::string& session_id_;
  const core::SessionLog& log_;
  VoiceServices& svc_;
  session::DeviceIdentity identity_;  // for resolving the profile again
  boost::asio::any_io_executor ex_;
  ProfilePtr profile_;          // the current turn's, or the next one's
  ProfilePtr pending_profile_;  // newer, adopted when no turn runs
  ProfilePtr listener_profile_;  // the VAD and ASR the listener was made with
  std::uint64_t profile_generation_ = 0;
  bool refreshing_ = false;

  // Made on first use: a connected device that is not talking holds neither.
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<Speaker> speaker_;
  Dialogue dialogue_;
  SessionTools tools_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for callbacks posted from other loops
  bool memory_requested_ = false;
  std::string memory_;  // what the device's memory recalls, for the system prompt
  std::string persona_;  // set by change_role; empty = the configured prompt
  protocol::ListenMode mode_ = protocol::ListenMode::auto_mode;
  bool aec_ = false;
  bool emotion_messages_ = true;
  bool stopping_ = false;
  std::shared_ptr<Turn> turn_;       // the reply in progress
  // close_session_after_reply()'s reason while the reply it waits for runs. Not the
  // turn's: the session's request outlives an interrupted reply.
  std::optional<std::string> close_asked_;
  std::shared_ptr<Turn> last_turn_;  // possibly still unwinding after a cancel
  std::uint64_t next_turn_id_ = 1;
  core::TokenBucket turn_budget_;  // turns the device may start
  std::uint64_t turns_refused_ = 0;
  Clock::time_point refusal_logged_{};
  PromptSubject prompt_subject_;  // the device id as sent, its client id and address
  std::optional<PromptFacts> prompt_facts_;  // gathered for this connection
  core::Event prompt_facts_ready_;
  bool prompt_facts_waited_ = false;         // only the first reply waits for them
  struct Background {
    explicit Background(boost::asio::any_io_executor ex) : done(std::move(ex)) {}
    boost::asio::cancellation_signal cancel;
    core::Event done;
  };
  std::vector<std::shared_ptr<Background>> background_;
};

}  // namespace xz::pipeline
