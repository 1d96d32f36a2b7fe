// One device's conversation: owns its listener, speaker, dialogue and tools, and routes
// the device's events (hello, listen, abort, audio, speculation) to turns.
#include "pipeline/conversation.h"


#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "history/chat_history.h"
#include "memory/memory.h"
#include "pipeline/emotion.h"
#include "pipeline/speech_text.h"
#include "protocol/server_messages.h"

namespace xz::pipeline {

namespace asio = boost::asio;

Conversation::Conversation(const session::ConversationContext& ctx, VoiceServices& services, ProfilePtr profile)
    : link_(ctx.link),
      device_id_(ctx.identity.device_key),
      hooks_(ctx.hooks),
      session_id_(ctx.session_id),
      log_(ctx.log),
      svc_(services),
      identity_(ctx.identity),
      ex_(ctx.executor),
      profile_(std::move(profile)),
      profile_generation_(services.profiles ? services.profiles->generation() : 0),
      dialogue_(profile_->settings->dialogue_max_chars),
      tools_(ctx.executor, ctx.link, ctx.session_id, device_id_, ctx.log, services, profile_),
      turn_budget_(profile_->settings->max_turns_per_minute / 60.0, profile_->settings->max_turns_per_minute,
                   Clock::now()),
      prompt_subject_{ctx.identity.device_id, ctx.identity.client_id, ctx.identity.remote_ip,
                      profile_->context_providers},
      prompt_facts_ready_(ctx.executor) {
  tools_.connect();
  // Started now: by the time the user has said something, they are usually there.
  if (svc_.prompt_context) run_in_background("prompt lookups", gather_prompt_facts(prompt_subject_));
}

void Conversation::run_in_background(std::string what, asio::awaitable<void> work) {
  std::erase_if(background_, [](const auto& b) { return b->done.is_set(); });
  if (stopping_) return;
  auto bg = std::make_shared<Background>(ex_);
  background_.push_back(bg);
  asio::co_spawn(ex_, std::move(work),
                 asio::bind_cancellation_slot(bg->cancel.slot(), [bg, what = std::move(what), log = log_](
                                                                     std::exception_ptr e) {
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const boost::system::system_error& x) {
                       if (x.code() != asio::error::operation_aborted) log.warn("{} failed: {}", what, x.what());
                     } catch (const std::exception& x) {
                       log.warn("{} failed: {}", what, x.what());
                     }
                   }
                   bg->done.set();
                 }));
}

Listener& Conversation::listener() {
  if (!listener_) {
    listener_profile_ = profile_;
    ListenerSettings heard = profile_->settings->listener;
    heard.keep_opus = (svc_.history && svc_.history->store_audio()) || reports_audio(svc_, *profile_);
    listener_ = std::make_unique<Listener>(
        ex_, heard, *profile_->vad, *profile_->asr, log_,
        ListenerEvents{[this] { on_speech_started(); }, [this](Utterance u) { on_utterance(std::move(u)); },
                       [this](std::string reason) { on_asr_failed(reason); },
                       [this](ListenerDrop what) {
                         switch (what) {
                           case ListenerDrop::over_speed: svc_.metrics.uplink_dropped_over_speed.inc(); break;
                           case ListenerDrop::overload: svc_.metrics.uplink_dropped_overload.inc(); break;
                           case ListenerDrop::listen_message: svc_.metrics.listen_messages_dropped.inc(); break;
                         }
                       },
                       {},
                       [this](const providers::AsrResult& heard) { on_speculative_text(heard); },
                       [this] { discard_speculation("the user went on speaking"); }});
  }
  return *listener_;
}

Speaker& Conversation::speaker() {
  if (!speaker_)
    speaker_ = std::make_unique<Speaker>(ex_, settings(), *profile_->tts, svc_.pool, link_, session_id_, svc_.metrics,
                                         log_);
  return *speaker_;
}

Conversation::~Conversation() = default;

void Conversation::on_config_changed() {
  if (!stopping_) refresh_profile();
}

void Conversation::refresh_profile() {
  if (!svc_.profiles || refreshing_ || stopping_) return;
  refreshing_ = true;
  asio::co_spawn(ex_, fetch_profile(alive_), asio::detached);
}

asio::awaitable<void> Conversation::fetch_profile(std::weak_ptr<bool> alive) {
  // Copies: this conversation may be gone when the answer comes.
  auto* source = svc_.profiles;
  const std::uint64_t generation = source->generation();
  session::DeviceIdentity who = identity_;
  ProfileResult r;
  try {
    r = co_await source->resolve(std::move(who));
  } catch (const std::exception& e) {
    if (!alive.lock()) co_return;
    log_.warn("agent configuration: resolving it again failed ({}); keeping the current one", e.what());
  }
  if (!alive.lock()) co_return;
  refreshing_ = false;
  profile_generation_ = generation;
  if (stopping_) co_return;
  if (r.bind) {
    log_.warn("agent configuration: the device is no longer bound; closing after the current reply");
    if (turn_)
      close_after_reply();
    else
      hooks_.close_session("the device is no longer bound to an agent");
    co_return;
  }
  if (!r.profile || r.profile == profile_) co_return;
  pending_profile_ = std::move(r.profile);
  svc_.metrics.profile_updates.inc();
  if (!turn_) adopt_pending_profile();
}

void Conversation::adopt_pending_profile() {
  if (!pending_profile_) return;
  ProfilePtr next = std::move(pending_profile_);
  pending_profile_ = nullptr;
  tools_.adopt(*next);
  // The listener keeps the VAD and ASR it was made with (it may be mid-utterance): a
  // change of those applies from the device's next connection.
  if (listener_ && (next->vad != listener_profile_->vad || next->asr != listener_profile_->asr))
    log_.info("agent configuration: the new VAD/ASR apply from the next connection");
  // Another agent's context providers: looked up again for the prompts from now on.
  if (svc_.prompt_context && next->context_providers != prompt_subject_.providers) {
    prompt_subject_.providers = next->context_providers;
    run_in_background("prompt lookups", gather_prompt_facts(prompt_subject_));
  }
  profile_ = std::move(next);
  log_.info("agent configuration changed ({}): the next turn uses it", profile_->origin);
}

void Conversation::on_hello(const protocol::HelloMsg& hello) {
  aec_ = hello.features.aec;
  emotion_messages_ = hello.features.emoji;
  if (hello.features.mcp) tools_.start_device_mcp();
}

void Conversation::on_audio(std::string_view opus, std::uint32_t) {
  if (stopping_) return;
  listener().push_opus(opus);
}

void Conversation::on_listen(const protocol::ListenMsg& msg) {
  if (msg.mode) mode_ = *msg.mode;
  switch (msg.state) {
    case protocol::ListenState::start:
      listener().start(mode_ == protocol::ListenMode::manual ? Listener::Mode::manual : Listener::Mode::vad);
      if (!turn_) hooks_.set_state("listening");
      break;
    case protocol::ListenState::stop:
      listener().stop();
      break;
    case protocol::ListenState::detect:
      // What was heard before the detect was the wake word itself: not for the ASR.
      listener().reset();
      if (msg.text) on_detect(*msg.text);
      break;
  }
}

void Conversation::on_abort(std::string_view reason) {
  auto t0 = Clock::now();
  if (!cancel_turn(reason.empty() ? "abort" : reason)) {
    // The device stays in speaking after a button abort until it gets tts stop.
    link_.send_text(protocol::make_tts_stop(session_id_));
  }
  svc_.metrics.barge_in_stop_ms.observe(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
}

void Conversation::on_mcp(const nlohmann::json& payload) { tools_.on_mcp(payload); }

void Conversation::on_iot(const protocol::IotMsg& msg) { tools_.on_iot(msg); }

void Conversation::on_no_voice_timeout() {
  if (turn_) return;
  if (!settings().end_prompt_enabled || settings().end_prompt.empty()) {
    hooks_.close_session("no voice for a while");
    return;
  }
  TurnRequest req;
  req.kind = TurnKind::goodbye;
  req.text = settings().end_prompt;
  req.show_stt = false;
  req.close_after = true;
  start_turn(std::move(req));
}

void Conversation::on_speech_started() {
  hooks_.note_activity();
  // With echo cancellation the mic stays open while we speak: a voice onset is the
  // user talking over us.
  if (turn_ && (mode_ == protocol::ListenMode::realtime || aec_)) cancel_turn("barge-in (voice onset)");
}

bool Conversation::admit_turn(std::string_view what) {
  const auto now = Clock::now();
  if (turn_budget_.take(1, now)) return true;
  svc_.metrics.turns_refused.inc();
  // Logged at the first refusal, then at most every 10 s: the device is looping.
  if (++turns_refused_ == 1 || now - refusal_logged_ >= std::chrono::seconds(10)) {
    refusal_logged_ = now;
    log_.warn("refusing a new turn ({}): more than {} turns a minute ({} refused so far)", what,
              settings().max_turns_per_minute, turns_refused_);
  }
  return false;
}

void Conversation::on_speculative_text(const providers::AsrResult& heard) {
  // Only into a quiet conversation: a reply still playing is not raced, and an exit
  // command is not worth a speculation.
  if (stopping_ || turn_ || mode_ == protocol::ListenMode::manual || is_exit_command(heard.text)) return;
  TurnRequest req;
  req.kind = TurnKind::user;
  req.text = heard.text;
  if (!heard.emotion.empty()) req.llm_text = user_message_with_emotion(heard.text, heard.language, heard.emotion);
  req.speculative = true;
  start_turn(std::move(req));
}

void Conversation::send_for(Turn& t, std::string json) {
  if (t.held)
    t.held_texts.push_back(std::move(json));  // a few messages: stt, tts start, emotion
  else
    link_.send_text(std::move(json));
}

asio::awaitable<void> Conversation::wait_confirmed(Turn& t) {
  if (t.held) co_await t.confirmed.wait();
  if (t.cancelled || t.held) throw boost::system::system_error(asio::error::operation_aborted);
}

void Conversation::confirm_speculation(Utterance& u) {
  auto& t = *turn_;
  t.held = false;
  t.req.user_audio = std::move(u.opus);
  t.req.timings->end_of_speech = u.end_of_speech;
  t.req.timings->asr_final = u.asr_final;
  if (auto ms = TurnTimings::ms(u.end_of_speech, u.asr_final)) svc_.metrics.asr_final_ms.observe(*ms);
  svc_.metrics.turns.inc();
  svc_.metrics.speculative_replies_confirmed.inc();
  if (!t.user_in_dialogue) {
    dialogue_.add_user(t.req.words_for_llm());
    t.user_in_dialogue = true;
  }
  log_.info("speculative reply confirmed by the end of speech");
  // In the order they were made (stt, tts start, emotion), then the paced audio.
  for (auto& m : t.held_texts) link_.send_text(std::move(m));
  t.held_texts.clear();
  hooks_.set_state("speaking");
  speaker().release();
  t.confirmed.set();
}

void Conversation::discard_speculation(std::string_view why) {
  if (!turn_ || !turn_->held) return;
  auto t = turn_;  // alive while it ends
  end_reply(*t, ReplyEnd::discarded, why);
}

void Conversation::on_utterance(Utterance u) {
  if (stopping_) return;
  hooks_.note_activity();
  const bool speculated = turn_ && turn_->held;
  if (!admit_turn("utterance")) {
    if (speculated) discard_speculation("turn refused");
    return;
  }
  if (speculated) {
    if (u.speculative && u.text == turn_->req.text) {
      confirm_speculation(u);
      return;
    }
    discard_speculation("the final transcript differs");
  }
  TurnRequest req;
  req.kind = TurnKind::user;
  req.text = std::move(u.text);
  if (!u.emotion.empty()) req.llm_text = user_message_with_emotion(req.text, u.language, u.emotion);
  req.user_audio = std::move(u.opus);
  req.timings->end_of_speech = u.end_of_speech;
  req.timings->asr_final = u.asr_final;
  if (auto ms = TurnTimings::ms(u.end_of_speech, u.asr_final)) svc_.metrics.asr_final_ms.observe(*ms);
  req.close_after = is_exit_command(req.text);
  // A new utterance while we speak interrupts us (push-to-talk aborts explicitly).
  if (turn_ && mode_ != protocol::ListenMode::manual) cancel_turn("barge-in (new utterance)");
  start_turn(std::move(req));
}

void Conversation::on_detect(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return;
  hooks_.note_activity();
  if (is_wake_word(text)) {
    if (!settings().enable_greeting) {
      link_.send_text(protocol::make_stt(session_id_, text));
      link_.send_text(protocol::make_tts_stop(session_id_));
      return;
    }
    if (!admit_turn("wake word")) return;
    if (turn_) cancel_turn("wake word");
    TurnRequest req;
    if (settings().wake_reply_cache) {
      // The reference: tts start and the cached reply at once, no stt.
      req.kind = TurnKind::greeting;
      req.show_stt = false;
    } else {
      // Without the cache the reference hands the greeting to the LLM like anything said.
      req.kind = TurnKind::typed;
      req.text = text;
      req.timings->end_of_speech = Clock::now();
      req.timings->asr_final = req.timings->end_of_speech;
    }
    start_turn(std::move(req));
    return;
  }
  // Not a wake word: text typed on the device or a test client is a user utterance.
  if (!admit_turn("typed text")) return;
  if (turn_) cancel_turn("typed text");
  TurnRequest req;
  req.kind = TurnKind::typed;
  req.text = text;
  req.timings->end_of_speech = Clock::now();
  req.timings->asr_final = req.timings->end_of_speech;
  req.close_after = is_exit_command(text);
  start_turn(std::move(req));
}

bool Conversation::is_exit_command(const std::string& text) const {
  auto n = normalize_command(text);
  for (const auto& c : settings().exit_commands)
    if (n == c) return true;
  return false;
}

bool Conversation::is_wake_word(const std::string& text) const {
  auto n = normalize_command(text);
  for (const auto& w : settings().wakeup_words)
    if (n == w) return true;
  return false;
}

void Conversation::start_turn(TurnRequest req) {
  // The turn boundary: a newer profile is adopted here, and a change nobody told this
  // conversation about is noticed here.
  adopt_pending_profile();
  if (svc_.profiles && svc_.profiles->generation() != profile_generation_) refresh_profile();
  auto previous = last_turn_;
  auto t = std::make_shared<Turn>(ex_);
  t->id = next_turn_id_++;
  t->profile = profile_;
  t->req = std::move(req);
  t->started_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  t->held = t->req.speculative;
  t->user_in_dialogue = !t->held;
  turn_ = t;
  last_turn_ = t;
  if (!t->held) svc_.metrics.turns.inc();  // a speculative one counts when confirmed
  asio::co_spawn(ex_, run_turn(t, previous),
                 asio::bind_cancellation_slot(t->cancel.slot(), [](std::exception_ptr) {}));
}

void Conversation::on_asr_failed(const std::string& reason) {
  svc_.metrics.asr_errors.inc();
  // The user is waiting for an answer; a reply already playing is left alone.
  const std::string& apology = settings().asr_error_reply;
  if (stopping_ || turn_ || apology.find_first_not_of(" \t\r\n") == std::string::npos) return;
  log_.info("telling the user recognition failed ({})", reason);
  TurnRequest req;
  req.kind = TurnKind::push;
  req.text = apology;
  req.show_stt = false;
  start_turn(std::move(req));
}

bool Conversation::speak(std::string text) {
  if (stopping_ || text.find_first_not_of(" \t\r\n") == std::string::npos) return false;
  hooks_.note_activity();
  if (turn_) cancel_turn("operator push");
  TurnRequest req;
  req.kind = TurnKind::push;
  req.text = std::move(text);
  req.show_stt = false;
  start_turn(std::move(req));
  return true;
}

asio::awaitable<protocol::McpCallOutcome> Conversation::call_device_tool(std::string name, nlohmann::json arguments) {
  co_return co_await tools_.call_device_tool(std::move(name), std::move(arguments));
}

asio::awaitable<std::string> Conversation::client_city() {
  // Prompt lookups already asked for it; the locator's cache answers at once then.
  if (!svc_.ip_locator) co_return std::string();
  std::string error;
  std::string city = co_await svc_.ip_locator->locate(prompt_subject_.client_ip, &error);
  if (!error.empty()) log_.warn("no city for {}: {}", prompt_subject_.client_ip, error);
  co_return city;
}

asio::awaitable<tools::ToolResult> Conversation::run_device_tool(std::string name, nlohmann::json arguments) {
  co_return co_await tools_.run_device_tool(std::move(name), std::move(arguments));
}

nlohmann::json Conversation::describe_tools() const { return tools_.describe_tools(); }

void Conversation::close_after_reply() {
  if (turn_) turn_->req.close_after = true;
}

void Conversation::close_session_after_reply(std::string reason) {
  // A held reply has shown the device nothing: there is nothing to let finish.
  if (!turn_ || turn_->held) {
    hooks_.close_session(std::move(reason));
    return;
  }
  close_asked_ = std::move(reason);
}

asio::awaitable<void> Conversation::stop() {
  stopping_ = true;
  cancel_turn("session closing", ReplyEnd::closing);
  for (auto& b : background_)
    if (!b->done.is_set()) b->cancel.emit(asio::cancellation_type::terminal);
  // The memory summary runs in the background (and graceful shutdown waits for it);
  // a manager that keeps the memory writes it itself.
  if (profile_->memory && !profile_->manager_summary) profile_->memory->remember(device_id_, dialogue_.history());
  // The manager titles the session (and writes the summary of a memory it keeps) after
  // the session's reports.
  if (svc_.history && next_turn_id_ > 1) svc_.history->end_session(device_id_, session_id_, profile_->manager_summary);
  if (listener_) co_await listener_->close();
  if (last_turn_ && !last_turn_->done.is_set()) co_await last_turn_->done.wait();
  if (speaker_) speaker_->stop();
  for (auto& b : background_)
    if (!b->done.is_set()) co_await b->done.wait();
  co_await tools_.close();
}

}  // namespace xz::pipeline
