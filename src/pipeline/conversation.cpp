#include "pipeline/conversation.h"

#include <deque>
#include <map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "history/chat_history.h"
#include "memory/memory.h"
#include "memory/memory_prompt.h"
#include "pipeline/emotion.h"
#include "pipeline/intent_classifier.h"
#include "pipeline/sentence_segmenter.h"
#include "pipeline/speech_text.h"
#include "pipeline/system_prompt.h"
#include "protocol/server_messages.h"
#include "providers/llm/tool_call_text.h"
#include "tools/mcp/mcp_endpoint_client.h"
#include "tools/mcp/server_mcp_hub.h"
#include "tools/tool_runner.h"

namespace xz::pipeline {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

// What the reply says, in order: text segments from the LLM stream (a synchronous
// sink) and audio a tool asked to play, consumed by the speaking coroutine. With a
// dual-stream engine the text goes to the Speaker's stream at once instead, and only
// the audio waits here (played after the reply's speech, as the reference does).
struct SpeechItem {
  std::string text;
  std::string title;  // playback
  std::function<asio::awaitable<providers::PcmChunk>()> audio;
};

class SpeechQueue {
 public:
  SpeechQueue(asio::any_io_executor ex, Speaker* streaming)
      : notify_(ex, Clock::time_point::max()), streaming_(streaming) {}
  void push(SpeechItem s) {
    if (streaming_ && !s.audio) {
      streaming_->stream_whole(s.text);
      return;
    }
    items_.push_back(std::move(s));
    notify_.cancel();
  }
  void push_text(std::string s) { push({std::move(s), {}, {}}); }
  // A segment of LLM text: on the stream its text went to the engine already.
  void push_segment(std::string s) {
    if (streaming_)
      streaming_->stream_segment(s);
    else
      push_text(std::move(s));
  }
  void close() {
    if (streaming_ && !closed_) streaming_->stream_end();
    closed_ = true;
    notify_.cancel();
  }
  asio::awaitable<std::optional<SpeechItem>> next() {
    while (items_.empty() && !closed_) {
      notify_.expires_at(Clock::time_point::max());
      co_await notify_.async_wait(asio::as_tuple(asio::use_awaitable));
      auto cs = co_await asio::this_coro::cancellation_state;
      if (cs.cancelled() != asio::cancellation_type::none)
        throw boost::system::system_error(asio::error::operation_aborted);
    }
    if (items_.empty()) co_return std::nullopt;
    SpeechItem s = std::move(items_.front());
    items_.pop_front();
    co_return s;
  }

 private:
  std::deque<SpeechItem> items_;
  bool closed_ = false;
  asio::steady_timer notify_;
  Speaker* streaming_;
};

namespace {

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty() && !p.empty() && static_cast<unsigned char>(out.back()) < 0x80 &&
        static_cast<unsigned char>(p.front()) < 0x80)
      out += ' ';
    out += p;
  }
  return out;
}

// The manager wants this device's audio in its chat reports (chat_history_conf 2).
bool reports_audio(const VoiceServices& svc, const VoiceProfile& profile) {
  return profile.chat_reports == ChatReports::text_and_audio && svc.history && svc.history->uploads();
}

ListenerSettings listener_settings(const VoiceServices& svc, const VoiceProfile& profile) {
  ListenerSettings s = profile.settings->listener;
  s.keep_opus = (svc.history && svc.history->store_audio()) || reports_audio(svc, profile);
  return s;
}

// A reply's audio kept for a report: about 5 minutes at the downlink's 24 kbit/s.
constexpr std::size_t kMaxReportedReplyBytes = 1u << 20;

}  // namespace

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
      registry_(ctx.log),
      iot_([this](nlohmann::json commands) { link_.send_text(protocol::make_iot_commands(session_id_, commands)); },
           tools::IotLimits{profile_->settings->max_iot_things, profile_->settings->max_device_tools,
                            profile_->settings->max_device_tool_bytes}),
      device_mcp_(ctx.executor, ctx.link, ctx.session_id,
                  DeviceMcpOptions{std::chrono::milliseconds(10000), profile_->settings->tool_call_timeout,
                                   services.device_capabilities ? services.device_capabilities(device_id_)
                                                                : nlohmann::json::object(),
                                   services.device_tool_lists, profile_->settings->max_device_tools,
                                   profile_->settings->max_device_tool_bytes},
                  ctx.log),
      turn_budget_(profile_->settings->max_turns_per_minute / 60.0, profile_->settings->max_turns_per_minute,
                   Clock::now()),
      prompt_subject_{ctx.identity.device_id, ctx.identity.client_id, ctx.identity.remote_ip,
                      profile_->context_providers},
      prompt_facts_ready_(ctx.executor) {
  if (settings().intent != "nointent") connect_tool_sources();
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

asio::awaitable<void> Conversation::gather_prompt_facts(PromptSubject subject) {
  auto facts = co_await svc_.prompt_context->gather(std::move(subject), log_);
  prompt_facts_ = std::move(facts);
  prompt_facts_ready_.set();
}

asio::awaitable<std::string> Conversation::system_prompt(Turn& t) {
  const auto& s = *t.profile->settings;
  std::string prompt = persona_.empty() ? s.prompt : persona_;
  if (svc_.prompt_context) {
    if (!prompt_facts_ && !prompt_facts_waited_) {
      // The first reply waits a moment for the lookups; later ones take what is there.
      prompt_facts_waited_ = true;
      asio::steady_timer limit(ex_, svc_.prompt_context->settings().wait);
      co_await (prompt_facts_ready_.wait() || limit.async_wait(asio::as_tuple(asio::use_awaitable)));
      if (t.cancelled) throw boost::system::system_error(asio::error::operation_aborted);
      if (!prompt_facts_) log_.info("prompt: built without the lookups that have not answered yet");
    }
    const PromptFacts facts = prompt_facts_ ? *prompt_facts_ : svc_.prompt_context->known_facts(prompt_subject_);
    PromptInputs in;
    in.base_prompt = std::move(prompt);
    in.device_id = prompt_subject_.device_id;
    in.language = s.language;
    in.emoji_enabled = emotion_messages_;
    in.utc_offset_hours = s.utc_offset_minutes / 60.0;
    prompt = svc_.prompt_context->render(facts, in);
  }
  // Placeholders of the prompt itself ({{current_time}} ...), as the reference fills them per turn.
  prompt = render_prompt(prompt, {std::chrono::system_clock::now(), s.utc_offset_minutes, s.language});
  co_return with_memory(prompt, memory_);
}

Listener& Conversation::listener() {
  if (!listener_) {
    listener_profile_ = profile_;
    listener_ = std::make_unique<Listener>(
        ex_, listener_settings(svc_, *profile_), *profile_->vad, *profile_->asr, log_,
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

void Conversation::connect_tool_sources() {
  // Lists are shared, not copied: a session holds one pointer per source.
  registry_.set_source(tools::ToolSource::builtin, profile_->builtin_tools);
  if (svc_.server_mcp) registry_.set_source(tools::ToolSource::server_mcp, svc_.server_mcp->tools());
  if (svc_.server_mcp) {
    // Called on the hub's loop: hop to ours; `alive` guards against a closed conversation.
    std::weak_ptr<bool> alive = alive_;
    hub_subscription_ = svc_.server_mcp->on_tools_changed([this, alive, ex = ex_] {
      asio::post(ex, [this, alive] {
        if (alive.lock()) registry_.set_source(tools::ToolSource::server_mcp, svc_.server_mcp->tools());
      });
    });
  }
  if (!profile_->mcp_endpoint_url.empty()) {
    tools::mcp::McpEndpointOptions eo;
    eo.url = profile_->mcp_endpoint_url;
    eo.tls_context = profile_->mcp_endpoint_tls;
    eo.call_timeout = settings().tool_call_timeout;
    endpoint_ = std::make_unique<tools::mcp::McpEndpointClient>(ex_, std::move(eo), log_);
    endpoint_->set_tools_handler([this](std::vector<tools::ToolPtr> t) {
      registry_.set_source(tools::ToolSource::mcp_endpoint, tools::share_tools(std::move(t)));
    });
    endpoint_->start();
  }
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
  if (next->builtin_tools != profile_->builtin_tools && next->settings->intent != "nointent")
    registry_.set_source(tools::ToolSource::builtin, next->builtin_tools);
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
  if (hello.features.mcp) {
    device_mcp_.start([this](tools::ToolList t) {
      if (settings().intent != "nointent") registry_.set_source(tools::ToolSource::device_mcp, std::move(t));
    });
  }
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
  if (!cancel_turn(reason.empty() ? "abort" : reason, true)) {
    // The device stays in speaking after a button abort until it gets tts stop.
    link_.send_text(protocol::make_tts_stop(session_id_));
  }
  svc_.metrics.barge_in_stop_ms.observe(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
}

void Conversation::on_mcp(const nlohmann::json& payload) { device_mcp_.on_message(payload); }

void Conversation::on_iot(const protocol::IotMsg& msg) {
  if (!msg.descriptors.is_null()) {
    std::string error;
    if (!iot_.add_descriptors(msg.descriptors, &error)) log_.warn("iot: {}", error);
    auto tools = iot_.tools();
    // Logged when the count changes: a device repeating its descriptors adds no lines.
    if (tools.size() != iot_tools_logged_) {
      iot_tools_logged_ = tools.size();
      log_.info("iot: {} tool(s) from the device's {} thing(s)", tools.size(), iot_.thing_count());
    }
    if (settings().intent != "nointent") registry_.set_source(tools::ToolSource::iot, tools::share_tools(std::move(tools)));
  }
  if (!msg.states.is_null()) iot_.update_states(msg.states);
}

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
  if (turn_ && (mode_ == protocol::ListenMode::realtime || aec_)) cancel_turn("barge-in (voice onset)", true);
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
  auto t = std::move(turn_);
  turn_ = nullptr;
  t->cancelled = true;
  speaker().clear();  // drops the held audio; a dual-stream engine's stream is cancelled
  svc_.metrics.speculative_replies_discarded.inc();
  log_.info("speculative reply discarded ({})", why);
  t->cancel.emit(asio::cancellation_type::terminal);
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
  if (turn_ && mode_ != protocol::ListenMode::manual) cancel_turn("barge-in (new utterance)", true);
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
    if (turn_) cancel_turn("wake word", true);
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
  if (turn_) cancel_turn("typed text", true);
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

bool Conversation::cancel_turn(std::string_view why, bool send_stop) {
  if (!turn_) return false;
  if (turn_->held) {
    // The device saw nothing of it: gone silently, as if there had been no turn.
    discard_speculation(why);
    return false;
  }
  auto t = std::move(turn_);
  turn_ = nullptr;
  t->cancelled = true;
  speaker().clear();
  if (send_stop) link_.send_text(protocol::make_tts_stop(session_id_));
  // Keep only what the user actually heard, and answer tool calls left open.
  if (t->req.kind != TurnKind::goodbye) {
    dialogue_.close_dangling_tool_calls(R"({"status":"interrupted","message":"cancelled by the user"})");
    const auto& played = speaker().played();
    std::vector<std::string> heard_now(played.begin() + static_cast<std::ptrdiff_t>(std::min(t->played_before_round, played.size())),
                                       played.end());
    std::string heard = join(heard_now);
    if (!heard.empty()) dialogue_.add_assistant(heard);
  }
  svc_.metrics.turns_interrupted.inc();
  t->req.timings->stopped = Clock::now();
  record_turn(*t, true);
  log_.info("reply interrupted ({}) after {} segment(s) played", why, speaker().played().size());
  t->cancel.emit(asio::cancellation_type::terminal);
  if (!stopping_) hooks_.set_state(mode_ == protocol::ListenMode::manual ? "idle" : "listening");
  close_if_asked();
  return true;
}

asio::awaitable<void> Conversation::run_turn(std::shared_ptr<Turn> t, std::shared_ptr<Turn> previous) {
  try {
    // The previous reply may still be unwinding (a synthesis on the pool): the speaker
    // and its encoder are shared, so wait for it.
    if (previous && !previous->done.is_set()) co_await previous->done.wait();
    if (t->cancelled) throw boost::system::system_error(asio::error::operation_aborted);

    speaker().set_voice(*t->profile->settings, t->profile->tts);
    speaker().keep_frames(reports_audio(svc_, *t->profile) ? kMaxReportedReplyBytes : 0);
    speaker().begin_reply(t->req.timings, t->held);
    if (t->req.show_stt) send_for(*t, protocol::make_stt(session_id_, strip_edge_punctuation(t->req.text)));
    send_for(*t, protocol::make_tts_start(session_id_));
    if (!t->held) hooks_.set_state("speaking");

    if (t->req.kind == TurnKind::greeting) {
      auto wake = co_await t->profile->greetings->wake_reply(std::string());
      if (t->cancelled) throw boost::system::system_error(asio::error::operation_aborted);
      speaker().say_cached(*wake.speech);
      t->reply = wake.speech->text;
      // A new line for the next wake word, made while this one plays. The work holds the
      // cache: a newer profile may drop this one's meanwhile.
      if (wake.refresh_due)
        run_in_background("refreshing the wake-word reply",
                          [](std::shared_ptr<GreetingCache> cache) -> asio::awaitable<void> {
                            co_await cache->refresh_wake_reply({});
                          }(t->profile->greetings));
    } else if (t->req.kind == TurnKind::push) {
      co_await speak_text(*t);
    } else {
      co_await answer(*t);
    }
    co_await wait_confirmed(*t);  // a held reply with nothing (left) to say
    co_await speaker().drained();
    speaker().end_reply();
    // Let the device finish playing before it opens its mic again (it echoes otherwise).
    asio::steady_timer tail(ex_);
    tail.expires_at(speaker().playback_end() + t->profile->settings->tts_stop_tail);
    co_await tail.async_wait(asio::use_awaitable);
    finish_turn(*t);
  } catch (const std::exception& e) {
    if (!t->cancelled && t->held) {
      // A speculative reply broke unseen: the end of speech starts a normal turn.
      log_.warn("speculative reply failed: {}", e.what());
      if (turn_ == t) turn_ = nullptr;
      speaker().clear();
    } else if (!t->cancelled) {
      // Not a cancellation: something broke. The device must not stay in speaking.
      log_.error("reply failed: {}", e.what());
      if (turn_ == t) turn_ = nullptr;
      speaker().clear();
      link_.send_text(protocol::make_tts_stop(session_id_));
      hooks_.set_state(mode_ == protocol::ListenMode::manual ? "idle" : "listening");
      close_if_asked();
    }
  }
  t->done.set();
}

namespace {
// Tool-call deltas arrive in pieces, keyed by index: id and name once, arguments in fragments.
// A model listing more than `max_listed` calls has the rest ignored (they are never in the
// dialogue, so they need no answer); false when that happened.
bool merge_tool_calls(std::map<int, providers::ToolCall>& calls, const std::vector<providers::ToolCallDelta>& deltas,
                      std::size_t max_listed) {
  bool all_kept = true;
  for (const auto& d : deltas) {
    if (!calls.contains(d.index) && calls.size() >= max_listed) {
      all_kept = false;
      continue;
    }
    auto& c = calls[d.index];
    if (!d.id.empty()) c.id = d.id;
    if (!d.name.empty()) c.name = d.name;
    c.arguments += d.arguments;
  }
  return all_kept;
}
}  // namespace

asio::awaitable<void> Conversation::answer(Turn& t) {
  const auto& profile = *t.profile;
  const auto& s = *profile.settings;
  const bool user_words = (t.req.kind == TurnKind::user || t.req.kind == TurnKind::typed) && !t.req.text.empty();
  const bool per_turn = profile.memory && profile.memory->searches_each_turn();
  if (profile.summary_memory) {
    // The manager keeps this device's memory and hands it over with the agent.
    memory_ = *profile.summary_memory;
  } else if (profile.memory && (per_turn ? user_words : !memory_requested_)) {
    // Once per session, before its first answer: a quick read of the device's memory;
    // or, for engines that search (mem0ai), before each answer to what the user said.
    memory_requested_ = true;
    try {
      if (per_turn)
        memory_ = co_await profile.memory->search(device_id_, t.req.text);
      else
        memory_ = co_await profile.memory->recall(device_id_);
    } catch (const boost::system::system_error& e) {
      if (e.code() == asio::error::operation_aborted) throw;
      log_.warn("memory: recall failed, answering without it: {}", e.what());
    } catch (const std::exception& e) {
      log_.warn("memory: recall failed, answering without it: {}", e.what());
    }
  }
  dialogue_.set_system_prompt(co_await system_prompt(t));
  // A speculative reply's words join the dialogue when it is confirmed.
  if (t.req.kind != TurnKind::goodbye && !t.req.speculative) dialogue_.add_user(t.req.words_for_llm());
  const bool offer_tools = t.req.kind != TurnKind::goodbye && !registry_.empty();
  const bool use_tools = offer_tools && s.intent == "function_call";
  // Engines without native function calling get the <tool_call> text protocol.
  const bool native_tools = profile.llm->supports_tools();

  const bool streamed = speaker().streams();
  SpeechQueue speech(ex_, streamed ? &speaker() : nullptr);
  auto produce = [&]() -> asio::awaitable<void> {
    auto& timings = *t.req.timings;
    int round = 0;
    if (offer_tools && s.intent == "intent_llm" && (t.req.kind == TurnKind::user || t.req.kind == TurnKind::typed)) {
      std::optional<providers::ToolCall> call;
      const auto& history = dialogue_.history();
      const std::size_t own = t.user_in_dialogue ? 1 : 0;  // the user's words, when already there
      std::span<const providers::ChatMessage> before(history.data(), history.size() < own ? 0 : history.size() - own);
      std::vector<providers::ToolSchema> schemas = registry_.schemas();
      std::string said = t.req.text;
      try {
        call = co_await classify_intent(profile.intent_llm ? *profile.intent_llm : *profile.llm, std::move(schemas), before,
                                        std::move(said));
      } catch (const boost::system::system_error& e) {
        if (e.code() == asio::error::operation_aborted) throw;
        log_.warn("intent classification failed, answering without tools: {}", e.what());
      } catch (const std::exception& e) {
        log_.warn("intent classification failed, answering without tools: {}", e.what());
      }
      if (call) {
        std::vector<providers::ToolCall> calls{std::move(*call)};
        const bool ask_llm = co_await run_tool_round(t, std::move(calls), round++, speech);
        if (!ask_llm) {
          speech.close();
          co_return;
        }
      }
    }
    for (;; ++round) {
      providers::ChatRequest req;
      req.messages = dialogue_.messages();
      if (t.req.kind == TurnKind::goodbye || !t.user_in_dialogue)
        req.messages.push_back({"user", t.req.words_for_llm(), {}, {}});
      const bool tools_now = use_tools && round < s.max_tool_rounds;
      if (use_tools && !tools_now) {
        req.messages.push_back({"user",
                                "[system] The tool-call limit is reached. Answer the user now with what you "
                                "have; do not call any tool.",
                                {}, {}});
      }
      std::optional<providers::ToolCallTextParser> text_calls;
      // Past the round limit too: a <tool_call> the model still writes is caught, not spoken.
      if (use_tools && !native_tools) text_calls.emplace();
      if (tools_now) {
        auto schemas = registry_.schemas();
        if (native_tools) {
          req.tools = std::move(schemas);
        } else {
          if (!req.messages.empty() && req.messages.front().role == "system")
            req.messages.front().content += "\n\n" + providers::tool_call_prompt(schemas);
          else
            req.messages.insert(req.messages.begin(), {"system", providers::tool_call_prompt(schemas), {}, {}});
        }
      }
      SentenceSegmenter segmenter(SentenceSegmenter::Options{});
      std::map<int, providers::ToolCall> calls;
      const std::size_t max_listed = 4 * s.max_tool_calls_per_round;
      bool calls_cut = false;
      t.reply.clear();
      t.played_before_round = speaker().played().size();
      if (!timings.llm_request) timings.llm_request = Clock::now();
      auto on_delta = [&](const providers::ChatDelta& d) {
        if (t.cancelled) return;
        if (!d.tool_calls.empty() && !merge_tool_calls(calls, d.tool_calls, max_listed)) calls_cut = true;
        if (d.text.empty()) return;
        if (!timings.llm_first_token) {
          timings.llm_first_token = Clock::now();
          if (auto ms = TurnTimings::ms(timings.llm_request, timings.llm_first_token))
            svc_.metrics.llm_first_token_ms.observe(*ms);
          if (emotion_messages_) {
            auto e = detect_emotion(d.text);
            send_for(t, protocol::make_llm_emotion(session_id_, e.name, e.emoji));
          }
        }
        t.reply += d.text;
        if (streamed) speaker().stream_text(d.text);
        for (auto& seg : segmenter.push(d.text)) speech.push_segment(std::move(seg));
      };
      try {
        providers::ChatSink sink = [&](const providers::ChatDelta& d) {
          if (!text_calls) return on_delta(d);
          on_delta(text_calls->feed(d.text));
        };
        co_await profile.llm->chat(std::move(req), std::move(sink));
        if (text_calls) on_delta(text_calls->finish());
        if (auto rest = segmenter.finish()) speech.push_segment(std::move(*rest));
      } catch (const boost::system::system_error& e) {
        if (e.code() == asio::error::operation_aborted) throw;
        svc_.metrics.llm_errors.inc();
        log_.error("LLM failed: {}", e.what());
        speech.push_text(s.system_error_response);
        t.reply = s.system_error_response;
        break;
      } catch (const std::exception& e) {
        svc_.metrics.llm_errors.inc();
        log_.error("LLM failed: {}", e.what());
        if (auto rest = segmenter.finish()) speech.push_segment(std::move(*rest));
        speech.push_text(s.system_error_response);
        t.reply += (t.reply.empty() ? "" : " ") + s.system_error_response;
        break;
      }
      if (calls.empty()) break;
      if (calls_cut) log_.warn("the model listed more than {} tool calls in one round; the rest are ignored", max_listed);
      if (!tools_now) {
        // Past max_tool_rounds (or never offered tools) and still calling: nothing runs,
        // and the reply ends with an apology rather than another round.
        log_.warn("the model still calls tools ({}) after {} round(s); ending the reply", calls.begin()->second.name,
                  round);
        speech.push_text(s.tool_limit_response);
        t.reply += (t.reply.empty() ? "" : " ") + s.tool_limit_response;
        break;
      }
      std::vector<providers::ToolCall> list;
      for (auto& [i, c] : calls) list.push_back(std::move(c));
      const bool ask_llm = co_await run_tool_round(t, std::move(list), round, speech);
      if (!ask_llm) break;
    }
    speech.close();
  };
  auto consume = [&]() -> asio::awaitable<void> {
    if (streamed) {
      try {
        co_await speaker().stream_run();  // a vendor fault is handled there
      } catch (const boost::system::system_error& e) {
        if (e.code() == asio::error::operation_aborted) throw;
        svc_.metrics.tts_errors.inc();
        log_.error("speech failed: {}", e.what());
      } catch (const std::exception& e) {
        svc_.metrics.tts_errors.inc();
        log_.error("speech failed: {}", e.what());
      }
    }
    while (auto item = co_await speech.next()) {
      try {
        if (item->audio)
          co_await speaker().play(std::move(item->title), std::move(item->audio));
        else
          co_await speaker().say(std::move(item->text));
      } catch (const boost::system::system_error& e) {
        if (e.code() == asio::error::operation_aborted) throw;
        svc_.metrics.tts_errors.inc();
        log_.error("speech failed for a segment: {}", e.what());
      } catch (const std::exception& e) {
        svc_.metrics.tts_errors.inc();
        log_.error("speech failed for a segment: {}", e.what());
      }
    }
  };
  // The LLM keeps streaming while earlier sentences are synthesized and played.
  co_await (produce() && consume());
}

asio::awaitable<bool> Conversation::run_tool_round(Turn& t, std::vector<providers::ToolCall> list, int round,
                                                   SpeechQueue& speech) {
  // The model called tools: record the call, run them all at once, and decide. Calls
  // past the per-round cap are answered with an error and not run.
  // A speculative reply runs no tool (side effects) before the end of speech confirms it.
  co_await wait_confirmed(t);
  const auto& s = *t.profile->settings;
  const std::size_t cap = s.max_tool_calls_per_round;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto& c = list[i];
    if (c.id.empty()) c.id = "call_" + std::to_string(t.id) + "_" + std::to_string(round) + "_" + std::to_string(i);
    if (i < cap) link_.send_text(protocol::make_stt(session_id_, "% " + c.name));
  }
  dialogue_.add({"assistant", t.reply, list, {}});
  t.reply.clear();
  std::vector<providers::ToolCall> excess;
  if (list.size() > cap) {
    log_.warn("the model made {} tool calls in one round; running the first {}", list.size(), cap);
    excess.assign(std::make_move_iterator(list.begin() + static_cast<std::ptrdiff_t>(cap)),
                  std::make_move_iterator(list.end()));
    list.resize(cap);
  }
  auto outcomes = co_await tools::run_tool_calls(std::move(list), registry_, *this, s.tool_call_timeout);
  for (auto& c : excess)
    outcomes.push_back({std::move(c),
                        tools::ToolResult::llm("error: not run: at most " + std::to_string(cap) +
                                               " tool calls per round; call it again in the next round if needed"),
                        std::chrono::milliseconds(0)});
  bool ask_llm = false;
  for (auto& o : outcomes) {
    const auto& r = o.result;
    log_.info("tool {} -> {} in {} ms", o.call.name, static_cast<int>(r.action), o.took.count());
    std::string content = r.result;
    switch (r.action) {
      case tools::Action::reqllm:
        ask_llm = true;
        break;
      case tools::Action::response:
      case tools::Action::error:
      case tools::Action::not_found:
        if (!r.response.empty()) speech.push_text(r.response);
        if (content.empty()) content = r.response;
        t.reply += (t.reply.empty() ? "" : " ") + r.response;
        break;
      case tools::Action::record:
      case tools::Action::none:
        break;
    }
    if (content.empty()) content = "ok";
    t.tool_log.push_back({o.call.name, o.call.arguments, content, std::string(tools::action_name(r.action))});
    dialogue_.add({"tool", std::move(content), {}, o.call.id});
  }
  for (auto& [title, source] : t.playback) speech.push({{}, std::move(title), std::move(source)});
  t.playback.clear();
  co_return ask_llm;
}

asio::awaitable<void> Conversation::speak_text(Turn& t) {
  SentenceSegmenter segmenter(SentenceSegmenter::Options{});
  auto segments = segmenter.push(t.req.text);
  if (auto rest = segmenter.finish()) segments.push_back(std::move(*rest));
  for (auto& seg : segments) co_await speaker().say(std::move(seg));
  t.reply = t.req.text;
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
  if (turn_) cancel_turn("operator push", true);
  TurnRequest req;
  req.kind = TurnKind::push;
  req.text = std::move(text);
  req.show_stt = false;
  start_turn(std::move(req));
  return true;
}

asio::awaitable<protocol::McpCallOutcome> Conversation::call_device_tool(std::string name, nlohmann::json arguments) {
  co_return co_await device_mcp_.call(std::move(name), std::move(arguments));
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
  co_return co_await device_mcp_.run_tool(std::move(name), std::move(arguments));
}

nlohmann::json Conversation::describe_tools() const {
  nlohmann::json llm = nlohmann::json::array();
  for (const auto& schema : registry_.schemas()) llm.push_back(schema.name);
  nlohmann::json device = nlohmann::json::array();
  for (const auto& t : device_mcp_.tools())
    device.push_back({{"name", t.name}, {"description", t.description}, {"user_only", t.user_only}});
  return {{"llm", std::move(llm)}, {"device", std::move(device)}, {"device_mcp_ready", device_mcp_.ready()}};
}

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

bool Conversation::close_if_asked() {
  if (!close_asked_) return false;
  auto reason = std::move(*close_asked_);
  close_asked_.reset();
  hooks_.close_session(std::move(reason));
  return true;
}

void Conversation::set_persona(std::string prompt) { persona_ = std::move(prompt); }

asio::awaitable<void> Conversation::play_audio(std::string title,
                                               std::function<asio::awaitable<providers::PcmChunk>()> next) {
  // Played after the reply's speech; the tool returns at once (a long song must not
  // hold the tool call open).
  if (turn_) turn_->playback.emplace_back(std::move(title), std::move(next));
  co_return;
}

void Conversation::finish_turn(Turn& t) {
  auto& timings = *t.req.timings;
  timings.stopped = Clock::now();
  link_.send_text(protocol::make_tts_stop(session_id_));
  if (t.req.kind != TurnKind::goodbye && !t.reply.empty()) dialogue_.add_assistant(t.reply);
  if (auto ms = TurnTimings::ms(timings.end_of_speech, timings.first_frame_sent))
    svc_.metrics.first_frame_ms.observe(*ms);
  log_.info("reply done: {}", timings.summary());
  record_turn(t, false);
  if (turn_.get() == &t) turn_ = nullptr;
  hooks_.note_activity();
  hooks_.set_state(mode_ == protocol::ListenMode::manual ? "idle" : "listening");
  if (close_if_asked()) return;
  if (t.req.close_after) {
    hooks_.close_session(t.req.kind == TurnKind::goodbye ? "said goodbye after a long silence"
                                                         : "the user asked to end the conversation");
    return;
  }
  adopt_pending_profile();
}

void Conversation::record_turn(Turn& t, bool interrupted) {
  if (!svc_.history || !svc_.history->enabled()) return;
  static constexpr const char* kKinds[] = {"user", "typed", "greeting", "goodbye", "push"};
  history::TurnRecord r;
  r.device_id = device_id_;
  r.session_id = session_id_;
  r.started_ms = t.started_unix_ms;
  r.kind = kKinds[static_cast<int>(t.req.kind)];
  if (t.req.kind == TurnKind::user || t.req.kind == TurnKind::typed) r.user_text = t.req.text;
  r.assistant_text = join(speaker().played());
  if (r.assistant_text.empty()) r.assistant_text = t.reply;
  r.tools = t.tool_log;
  r.interrupted = interrupted;
  r.user_audio_opus = std::move(t.req.user_audio);
  r.report_mode = static_cast<int>(t.profile->chat_reports);
  if (reports_audio(svc_, *t.profile)) r.assistant_audio_opus = speaker().take_frames();
  const auto& tm = *t.req.timings;
  r.asr_ms = TurnTimings::ms(tm.end_of_speech, tm.asr_final);
  r.llm_first_token_ms = TurnTimings::ms(tm.end_of_speech, tm.llm_first_token);
  r.tts_first_audio_ms = TurnTimings::ms(tm.end_of_speech, tm.tts_first_audio);
  r.first_frame_ms = TurnTimings::ms(tm.end_of_speech, tm.first_frame_sent);
  svc_.history->record(std::move(r));
}

asio::awaitable<void> Conversation::stop() {
  stopping_ = true;
  cancel_turn("session closing", false);
  for (auto& b : background_)
    if (!b->done.is_set()) b->cancel.emit(asio::cancellation_type::terminal);
  // The memory summary runs in the background (and graceful shutdown waits for it);
  // a manager that keeps the memory writes it itself.
  if (profile_->memory && !profile_->manager_summary) profile_->memory->remember(device_id_, dialogue_.history());
  // The manager titles the session (and writes the summary of a memory it keeps) after
  // the session's reports.
  if (svc_.history && next_turn_id_ > 1) svc_.history->end_session(device_id_, session_id_, profile_->manager_summary);
  hub_subscription_.reset();
  if (listener_) co_await listener_->close();
  if (last_turn_ && !last_turn_->done.is_set()) co_await last_turn_->done.wait();
  if (speaker_) speaker_->stop();
  for (auto& b : background_)
    if (!b->done.is_set()) co_await b->done.wait();
  co_await device_mcp_.close();
  if (endpoint_) co_await endpoint_->close();
}

}  // namespace xz::pipeline
