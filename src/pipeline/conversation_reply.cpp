// Replying: a turn's coroutine, the LLM and tool loop, what the reply says and plays,
// and the one place a reply ends (end_reply).
#include <map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "history/chat_history.h"
#include "memory/memory.h"
#include "memory/memory_prompt.h"
#include "pipeline/conversation.h"
#include "pipeline/emotion.h"
#include "pipeline/intent_classifier.h"
#include "pipeline/sentence_segmenter.h"
#include "pipeline/speech_queue.h"
#include "pipeline/speech_text.h"
#include "pipeline/system_prompt.h"
#include "protocol/server_messages.h"
#include "providers/llm/tool_call_text.h"
#include "tools/tool_runner.h"

namespace xz::pipeline {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

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

// A reply's audio kept for a report: about 5 minutes at the downlink's 24 kbit/s.
constexpr std::size_t kMaxReportedReplyBytes = 1u << 20;

}  // namespace

bool Conversation::reports_audio(const VoiceServices& svc, const VoiceProfile& profile) {
  return profile.chat_reports == ChatReports::text_and_audio && svc.history && svc.history->uploads();
}

void Conversation::set_persona(std::string prompt) { persona_ = std::move(prompt); }

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
    end_reply(*t, ReplyEnd::finished);
  } catch (const std::exception& e) {
    if (!t->cancelled) {
      // Not a cancellation: something broke. A held reply broke unseen (the end of
      // speech starts a normal turn); any other must not leave the device in speaking.
      if (t->held)
        log_.warn("speculative reply failed: {}", e.what());
      else
        log_.error("reply failed: {}", e.what());
      end_reply(*t, ReplyEnd::failed);
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
  const bool offer_tools = t.req.kind != TurnKind::goodbye && !tools_.registry().empty();
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
      std::vector<providers::ToolSchema> schemas = tools_.registry().schemas();
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
        auto schemas = tools_.registry().schemas();
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
  auto outcomes = co_await tools::run_tool_calls(std::move(list), tools_.registry(), *this, s.tool_call_timeout);
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

asio::awaitable<void> Conversation::play_audio(std::string title,
                                               std::function<asio::awaitable<providers::PcmChunk>()> next) {
  // Played after the reply's speech; the tool returns at once (a long song must not
  // hold the tool call open).
  if (turn_) turn_->playback.emplace_back(std::move(title), std::move(next));
  co_return;
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

bool Conversation::cancel_turn(std::string_view why, ReplyEnd how) {
  if (!turn_) return false;
  auto t = turn_;  // alive while it ends
  const bool seen = !t->held;
  end_reply(*t, seen ? how : ReplyEnd::discarded, why);
  return seen;
}

void Conversation::end_reply(Turn& t, ReplyEnd how, std::string_view why) {
  if (t.ended) return;
  t.ended = true;
  if (turn_.get() == &t) turn_ = nullptr;
  const bool finished = how == ReplyEnd::finished;
  // Cut short: its LLM stream and TTS stop, the pacer is emptied.
  if (how == ReplyEnd::interrupted || how == ReplyEnd::closing || how == ReplyEnd::discarded) t.cancelled = true;
  if (!finished) speaker().clear();  // a dual-stream engine's stream is cancelled too
  if (t.held) {
    // The device saw nothing of it: no message, no history, no memory, no state.
    if (how == ReplyEnd::discarded) {
      svc_.metrics.speculative_replies_discarded.inc();
      log_.info("speculative reply discarded ({})", why);
    }
    if (t.cancelled) t.cancel.emit(asio::cancellation_type::terminal);
    close_if_asked();
    return;
  }
  auto& timings = *t.req.timings;
  timings.stopped = Clock::now();
  if (how != ReplyEnd::closing) link_.send_text(protocol::make_tts_stop(session_id_));
  if (t.req.kind != TurnKind::goodbye) {
    if (finished) {
      if (!t.reply.empty()) dialogue_.add_assistant(t.reply);
    } else {
      // Keep only what the user actually heard, and answer tool calls left open.
      dialogue_.close_dangling_tool_calls(R"({"status":"interrupted","message":"cancelled by the user"})");
      const auto& played = speaker().played();
      std::vector<std::string> heard_now(
          played.begin() + static_cast<std::ptrdiff_t>(std::min(t.played_before_round, played.size())), played.end());
      std::string heard = join(heard_now);
      if (!heard.empty()) dialogue_.add_assistant(heard);
    }
  }
  if (finished) {
    if (auto ms = TurnTimings::ms(timings.end_of_speech, timings.first_frame_sent))
      svc_.metrics.first_frame_ms.observe(*ms);
    log_.info("reply done: {}", timings.summary());
  } else if (how != ReplyEnd::failed) {
    svc_.metrics.turns_interrupted.inc();
    log_.info("reply interrupted ({}) after {} segment(s) played", why, speaker().played().size());
  }
  record_turn(t, !finished);
  if (t.cancelled) t.cancel.emit(asio::cancellation_type::terminal);
  if (finished) hooks_.note_activity();
  if (!stopping_) hooks_.set_state(mode_ == protocol::ListenMode::manual ? "idle" : "listening");
  if (close_if_asked() || !finished) return;
  if (t.req.close_after) {
    hooks_.close_session(t.req.kind == TurnKind::goodbye ? "said goodbye after a long silence"
                                                         : "the user asked to end the conversation");
    return;
  }
  adopt_pending_profile();
}

bool Conversation::close_if_asked() {
  if (!close_asked_) return false;
  auto reason = std::move(*close_asked_);
  close_asked_.reset();
  hooks_.close_session(std::move(reason));
  return true;
}

}  // namespace xz::pipeline
