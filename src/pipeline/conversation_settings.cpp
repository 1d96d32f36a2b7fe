#include "pipeline/conversation_settings.h"

#include "pipeline/speech_text.h"

namespace xz::pipeline {

std::string normalize_command(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    auto cp = decode_utf8(text, i);
    std::string_view piece = text.substr(i, cp.length);
    i += cp.length;
    if (is_space(cp.value) || is_punctuation(cp.value) || is_emoji(cp.value)) continue;
    if (cp.value < 0x80)
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(cp.value))));
    else
      out.append(piece);
  }
  return out;
}

const std::set<std::string>& intent_types() {
  static const std::set<std::string> types = {"function_call", "intent_llm", "nointent"};
  return types;
}

ConversationSettings ConversationSettings::from_config(const core::Config& cfg) {
  ConversationSettings s;
  s.prompt = cfg.str("prompt");
  s.language = cfg.str("language", "English");
  s.utc_offset_minutes = static_cast<int>(cfg.get<double>("server.timezone_offset", 8.0) * 60);
  s.system_error_response = cfg.str("system_error_response", "Sorry, something went wrong.");
  s.asr_error_reply = cfg.str("asr_error_reply", "Sorry, I could not hear that. Please say it again.");
  s.end_prompt_enabled = cfg.get<bool>("end_prompt.enable", true);
  s.end_prompt = cfg.str("end_prompt.prompt");
  for (const auto& c : cfg.get<std::vector<std::string>>("exit_commands", {}))
    if (auto n = normalize_command(c); !n.empty()) s.exit_commands.push_back(n);
  for (const auto& w : cfg.get<std::vector<std::string>>("wakeup_words", {}))
    if (auto n = normalize_command(w); !n.empty()) s.wakeup_words.push_back(n);
  s.enable_greeting = cfg.get<bool>("enable_greeting", true);
  s.greeting = cfg.str("wakeup_words_response", "Hi, I'm here. What can I do for you?");
  s.wake_reply_cache = cfg.get<bool>("enable_wakeup_words_response_cache", true);
  s.wake_reply.first_reply = s.greeting;
  for (const auto& line : cfg.get<std::vector<std::string>>("wakeup_words_responses", {}))
    if (line.find_first_not_of(" \t\r\n") != std::string::npos) s.wake_reply.lines.push_back(line);
  s.wake_reply.refresh_after = std::chrono::milliseconds(
      static_cast<long long>(cfg.get<double>("wakeup_words_refresh_seconds", 10.0) * 1000));
  s.wake_reply.max_voices = cfg.get<std::size_t>("wakeup_words_cache_voices", 4);
  try {
    s.replacement_words = ReplacementWords(cfg.get<std::vector<std::string>>("replacement_words", {}));
  } catch (const std::invalid_argument& e) {
    throw core::ConfigError({std::string("replacement_words: ") + e.what()});
  }
  s.dialogue_max_chars = cfg.get<std::size_t>("dialogue_max_chars", 8000);
  s.tts_stop_tail = std::chrono::milliseconds(cfg.get<int>("tts_stop_tail_ms", 100));
  s.intent = core::selected_provider_type(cfg.root(), "Intent");
  if (s.intent.empty()) s.intent = "function_call";
  s.tool_call_timeout =
      std::chrono::milliseconds(static_cast<long long>(cfg.get<double>("tool_call_timeout", 30.0) * 1000));
  s.max_tool_rounds = cfg.get<int>("max_tool_rounds", 5);
  s.max_tool_calls_per_round = cfg.get<std::size_t>("max_tool_calls_per_round", 8);
  s.tool_limit_response = cfg.str("tool_limit_response", "Sorry, I could not finish that. Please ask me again.");
  s.max_turns_per_minute = cfg.get<int>("max_turns_per_minute", 20);
  s.max_device_tools = cfg.get<std::size_t>("max_device_tools", 64);
  s.max_device_tool_bytes = cfg.get<std::size_t>("max_device_tool_bytes", 8192);
  s.max_iot_things = cfg.get<std::size_t>("max_iot_things", 32);

  s.listener.pre_roll = std::chrono::milliseconds(cfg.get<int>("asr_pre_roll_ms", 600));
  s.listener.min_utterance = std::chrono::milliseconds(cfg.get<int>("min_utterance_ms", 300));
  s.listener.max_utterance = std::chrono::milliseconds(cfg.get<int>("max_utterance_ms", 60000));
  s.listener.max_queued_controls = cfg.get<std::size_t>("max_queued_listen_messages", 16);
  s.listener.max_uplink_speed = cfg.get<double>("uplink_max_speed", 2.0);
  s.listener.uplink_speed_window = std::chrono::milliseconds(cfg.get<int>("uplink_speed_window_ms", 2000));

  s.downlink.sample_rate = cfg.get<int>("xiaozhi.audio_params.sample_rate", 24000);
  s.downlink.frame_ms = cfg.get<int>("xiaozhi.audio_params.frame_duration", 60);
  s.downlink.complexity = cfg.get<int>("opus_complexity", 0);
  s.downlink.bitrate = cfg.get<int>("opus_bitrate", 24000);

  s.pacer.frame_duration = std::chrono::milliseconds(s.downlink.frame_ms);
  s.pacer.prebuffer_frames = cfg.get<int>("audio_prebuffer_frames", 5);
  s.pacer.fixed_interval = std::chrono::milliseconds(cfg.get<int>("tts_audio_send_delay", 0));
  return s;
}

}  // namespace xz::pipeline
