#pragma once
// What a conversation reads from the configuration, extracted once at start-up.
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "core/config.h"
#include "pipeline/greeting_cache.h"
#include "pipeline/listener.h"
#include "pipeline/pacer.h"
#include "pipeline/pcm_encoder.h"
#include "pipeline/speech_text.h"

namespace xz::pipeline {

struct ConversationSettings {
  std::string prompt;
  std::string language = "English";
  int utc_offset_minutes = 480;
  std::string system_error_response;
  std::string asr_error_reply;  // said when recognition fails; "" = nothing
  bool end_prompt_enabled = true;
  std::string end_prompt;
  std::vector<std::string> exit_commands;
  std::vector<std::string> wakeup_words;  // normalised (see normalize_command)
  bool enable_greeting = true;
  // enable_wakeup_words_response_cache: a wake word is answered at once from
  // GreetingCache (wake_reply); false = the LLM answers it like typed text.
  bool wake_reply_cache = true;
  std::string greeting;
  WakeReplySettings wake_reply;
  ReplacementWords replacement_words;  // built once: ~6 KiB, shared by every session
  std::size_t dialogue_max_chars = 8000;
  std::chrono::milliseconds tts_stop_tail{100};
  std::string intent = "function_call";  // type of the selected Intent: function_call, nointent, intent_llm
  std::chrono::milliseconds tool_call_timeout{30000};
  int max_tool_rounds = 5;
  std::size_t max_tool_calls_per_round = 8;  // more are answered with an error, not run
  std::string tool_limit_response;           // said when the model still calls after max_tool_rounds
  int max_turns_per_minute = 20;             // turns a device may start (utterance, typed, wake word)
  std::size_t max_device_tools = 64;         // device MCP tools, and legacy IoT tools, per session
  std::size_t max_device_tool_bytes = 8192;  // one MCP tool's JSON, one IoT thing (descriptor + states)
  std::size_t max_iot_things = 32;
  ListenerSettings listener;
  DownlinkFormat downlink;
  Pacer::Options pacer;

  static ConversationSettings from_config(const core::Config& cfg);
};

// The Intent types a conversation implements: function_call, intent_llm, nointent.
const std::set<std::string>& intent_types();

// For comparing utterances with wake words and exit commands: punctuation, emoji and
// spaces removed, ASCII lower-cased ("Hello, Xiaozhi!" -> "helloxiaozhi").
std::string normalize_command(std::string_view text);

}  // namespace xz::pipeline
