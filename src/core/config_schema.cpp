#include "core/config_schema.h"

#include <cmath>
#include <optional>

#include "core/ip_ranges.h"
#include "core/log.h"
#include "core/web_origin.h"

namespace xz::core {

namespace {

using Json = nlohmann::json;

enum class Kind { Int, Number, Bool, String, StringList, Map, LogLevel };

struct Rule {
  const char* path;
  Kind kind;
  std::optional<double> min = std::nullopt;
  std::optional<double> max = std::nullopt;
  std::vector<long long> allowed = {};
};

// Keys whose type the server relies on. Unknown keys are allowed, so a reference
// user's configuration with extra provider keys still loads.
const std::vector<Rule>& rules() {
  static const std::vector<Rule> kRules = {
      {"server", Kind::Map},
      {"server.ip", Kind::String},
      {"server.port", Kind::Int, 1, 65535},
      {"server.http_port", Kind::Int, 0, 65535},
      {"server.websocket", Kind::String},
      {"server.vision_explain", Kind::String},
      {"server.timezone_offset", Kind::Number, -12, 14},
      {"server.auth_key", Kind::String},
      {"server.admin_token", Kind::String},
      {"server.console", Kind::Map},
      {"server.console.enabled", Kind::Bool},
      {"server.console.session_idle_seconds", Kind::Int, 1},
      {"server.console.session_lifetime_seconds", Kind::Int, 1},
      {"server.console.max_sessions", Kind::Int, 1, 1000000},
      {"server.console.password_log_n", Kind::Int, 1, 20},
      {"server.console.max_concurrent_logins", Kind::Int, 1, 256},
      {"server.console.login_limit", Kind::Map},
      {"server.console.login_limit.max_failures_per_ip", Kind::Int, 0},
      {"server.console.login_limit.max_failures_per_account", Kind::Int, 0},
      {"server.console.login_limit.window_seconds", Kind::Int, 1},
      {"server.console.login_limit.max_tracked", Kind::Int, 1, 10000000},
      {"server.auth", Kind::Map},
      {"server.auth.enabled", Kind::Bool},
      {"server.auth.allowed_devices", Kind::StringList},
      {"server.auth.expire_seconds", Kind::Int, 0},
      {"server.activation", Kind::Map},
      {"server.activation.enabled", Kind::Bool},
      {"server.activation.message", Kind::String},
      {"server.activation.code_ttl_seconds", Kind::Int, 60},
      {"server.websocket_protocol_version", Kind::Int, 1, 3},
      {"server.mqtt_gateway", Kind::String},
      {"server.mqtt_signature_key", Kind::String},
      {"server.mqtt", Kind::Map},
      {"server.mqtt.enabled", Kind::Bool},
      {"server.mqtt.port", Kind::Int, 1, 65535},
      {"server.mqtt.tls_port", Kind::Int, 1, 65535},
      {"server.mqtt.tls_cert", Kind::String},
      {"server.mqtt.tls_key", Kind::String},
      {"server.mqtt.udp_port", Kind::Int, 1, 65535},
      {"server.mqtt.public_host", Kind::String},
      {"server.mqtt.keepalive_seconds", Kind::Int, 10, 65535},
      {"server.mqtt.ota_tls", Kind::Bool},
      {"server.mqtt.node_name", Kind::String},
      {"server.mqtt.forward_connect_timeout_seconds", Kind::Number, 0.1, 60},
      {"server.mqtt.forward_timeout_seconds", Kind::Number, 0.5, 600},
      {"server.mqtt.max_packet_bytes", Kind::Int, 1024, 16 * 1024 * 1024},
      {"server.mqtt.connect_timeout_seconds", Kind::Number, 0.1, 3600},
      {"server.mqtt.max_packets_per_second", Kind::Number, 0.1},
      {"server.mqtt.packet_burst", Kind::Number, 1},
      {"server.mqtt.max_queued_bytes", Kind::Int, 4096},
      {"firmware_cache_ttl", Kind::Int, 0},
      {"server.io_threads", Kind::Int, 0, 256},
      {"server.workers", Kind::Int, 0, 256},
      {"server.max_ws_message_bytes", Kind::Int, 1024, 16 * 1024 * 1024},
      {"server.max_http_body_bytes", Kind::Int, 0, 64 * 1024 * 1024},
      {"server.max_ota_body_bytes", Kind::Int, 1024, 64 * 1024 * 1024},
      {"server.max_admin_body_bytes", Kind::Int, 1024, 64 * 1024 * 1024},
      {"server.max_vision_body_bytes", Kind::Int, 1024, 256 * 1024 * 1024},
      {"server.http_body_timeout_seconds", Kind::Number, 0.1, 3600},
      {"server.hello_timeout_seconds", Kind::Number, 0.1, 3600},
      {"server.handshake_timeout_seconds", Kind::Number, 0.1, 3600},
      {"server.allowed_origins", Kind::StringList},
      {"server.trusted_proxies", Kind::StringList},
      {"server.connections", Kind::Map},
      {"server.connections.max_total", Kind::Int, 0},
      {"server.connections.max_per_ip", Kind::Int, 0},
      {"server.connections.per_ip_exempt", Kind::StringList},
      {"server.shutdown_grace_seconds", Kind::Number, 0, 600},
      {"server.shutdown_memory_seconds", Kind::Number, 0, 600},
      {"log", Kind::Map},
      {"log.log_level", Kind::LogLevel},
      {"log.log_dir", Kind::String},
      {"log.log_file", Kind::String},
      {"log.data_dir", Kind::String},
      {"log.max_file_mb", Kind::Int, 1, 4096},
      {"log.max_files", Kind::Int, 1, 1000},
      {"log.console", Kind::Bool},
      {"close_connection_no_voice_time", Kind::Int, 1},
      {"close_connection_after_goodbye_seconds", Kind::Number, 0},
      {"tool_call_timeout", Kind::Number, 0.1},
      {"max_tool_rounds", Kind::Int, 0, 20},
      {"max_tool_calls_per_round", Kind::Int, 1, 128},
      {"tool_limit_response", Kind::String},
      {"max_turns_per_minute", Kind::Int, 1, 6000},
      {"max_device_tools", Kind::Int, 0, 1000},
      {"max_device_tool_bytes", Kind::Int, 256, 1024 * 1024},
      {"max_iot_things", Kind::Int, 0, 1000},
      {"enable_greeting", Kind::Bool},
      {"enable_wakeup_words_response_cache", Kind::Bool},
      {"enable_websocket_ping", Kind::Bool},
      {"tts_audio_send_delay", Kind::Int, 0, 1000},
      {"language", Kind::String},
      {"asr_pre_roll_ms", Kind::Int, 0, 5000},
      {"min_utterance_ms", Kind::Int, 0, 10000},
      {"max_utterance_ms", Kind::Int, 1000, 600000},
      {"max_queued_listen_messages", Kind::Int, 1, 1000},
      {"uplink_max_speed", Kind::Number, 1, 100},
      {"uplink_speed_window_ms", Kind::Int, 100, 60000},
      {"opus_complexity", Kind::Int, 0, 10},
      {"opus_bitrate", Kind::Int, 6000, 510000},
      {"audio_prebuffer_frames", Kind::Int, 1, 30},
      {"tts_stop_tail_ms", Kind::Int, 0, 5000},
      {"dialogue_max_chars", Kind::Int, 200},
      {"replacement_words", Kind::StringList},
      {"wakeup_words_response", Kind::String},
      {"wakeup_words_responses", Kind::StringList},
      {"wakeup_words_refresh_seconds", Kind::Number, 0, 86400},
      {"wakeup_words_cache_voices", Kind::Int, 1, 256},
      {"prompt_template", Kind::String},
      {"prompt_context", Kind::Map},
      {"prompt_context.ip_location_url", Kind::String},
      {"prompt_context.ip_location_timeout_seconds", Kind::Number, 0.1, 60},
      {"prompt_context.ip_location_cache_entries", Kind::Int, 0, 1000000},
      {"prompt_context.weather_cache_hours", Kind::Number, 0, 24 * 7},
      {"prompt_context.wait_seconds", Kind::Number, 0, 60},
      {"prompt_context.context_providers_timeout_seconds", Kind::Number, 0.1, 60},
      {"prompt_context.context_providers_max_bytes", Kind::Int, 1024, 16 * 1024 * 1024},
      {"prompt_context.device_cache_entries", Kind::Int, 0, 1000000},
      {"exit_commands", Kind::StringList},
      {"wakeup_words", Kind::StringList},
      {"prompt", Kind::String},
      {"system_error_response", Kind::String},
      {"end_prompt", Kind::Map},
      {"end_prompt.enable", Kind::Bool},
      {"end_prompt.prompt", Kind::String},
      {"xiaozhi", Kind::Map},
      {"xiaozhi.audio_params", Kind::Map},
      {"xiaozhi.audio_params.sample_rate", Kind::Int, std::nullopt, std::nullopt,
       {8000, 12000, 16000, 24000, 48000}},
      {"xiaozhi.audio_params.frame_duration", Kind::Int, std::nullopt, std::nullopt,
       {20, 40, 60}},
      {"selected_module", Kind::Map},
  };
  return kRules;
}

const Json* find(const Json& root, const std::string& path) {
  const Json* cur = &root;
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = path.find('.', start);
    std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

std::string shown(const Json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string range_text(const Rule& r) {
  if (r.min && r.max) return " " + fmt::format("{:g}-{:g}", *r.min, *r.max);
  if (r.min) return fmt::format(" >= {:g}", *r.min);
  if (r.max) return fmt::format(" <= {:g}", *r.max);
  return "";
}

void check(const Rule& r, const Json& v, std::vector<std::string>& out) {
  const std::string p = r.path;
  auto bad = [&](const std::string& what) {
    out.push_back(p + ": expected " + what + ", got " + shown(v));
  };
  switch (r.kind) {
    case Kind::Int:
    case Kind::Number: {
      bool ok = r.kind == Kind::Int ? v.is_number_integer() : v.is_number();
      std::string what = (r.kind == Kind::Int ? "an integer" : "a number") + range_text(r);
      if (!r.allowed.empty()) {
        what = "one of";
        for (auto a : r.allowed) what += " " + std::to_string(a);
      }
      if (!ok) return bad(what);
      double d = v.get<double>();
      if ((r.min && d < *r.min) || (r.max && d > *r.max)) return bad(what);
      if (!r.allowed.empty()) {
        bool found = false;
        for (auto a : r.allowed) found = found || a == v.get<long long>();
        if (!found) return bad(what);
      }
      return;
    }
    case Kind::Bool:
      if (!v.is_boolean()) bad("true or false");
      return;
    case Kind::String:
      if (!v.is_string()) bad("a string");
      return;
    case Kind::Map:
      if (!v.is_object()) bad("a mapping");
      return;
    case Kind::StringList:
      if (!v.is_array()) return bad("a list of strings");
      for (const auto& e : v)
        if (!e.is_string()) return bad("a list of strings");
      return;
    case Kind::LogLevel: {
      spdlog::level::level_enum lvl;
      if (!v.is_string() || !parse_log_level(v.get<std::string>(), lvl))
        bad("a log level (trace, debug, info, warn, error, critical, off)");
      return;
    }
  }
}

// Checks of values beyond their type: each entry of a list, a secret's strength.
void check_values(const Json& root, std::vector<std::string>& out) {
  auto each_string = [&](const char* path, auto problem) {
    const Json* list = find(root, path);
    if (!list || !list->is_array()) return;
    for (const auto& e : *list)
      if (e.is_string())
        if (auto why = problem(e.template get<std::string>())) out.push_back(std::string(path) + ": " + *why);
  };
  each_string("server.allowed_origins", [](const std::string& e) { return allowed_origin_problem(e); });
  each_string("server.trusted_proxies", [](const std::string& e) { return ip_range_problem(e); });
  each_string("server.connections.per_ip_exempt", [](const std::string& e) { return ip_range_problem(e); });

  // A short admin token can be guessed: the admin API binds devices and speaks through them.
  const Json* admin = find(root, "server.admin_token");
  if (admin && admin->is_string()) {
    const std::size_t n = admin->get<std::string>().size();
    if (n > 0 && n < kMinAdminTokenChars)
      out.push_back("server.admin_token: too short (" + std::to_string(n) + " characters; at least " +
                    std::to_string(kMinAdminTokenChars) +
                    " are required, e.g. the output of `openssl rand -hex 32`), or empty to turn the admin API off");
  }
}

const char* kRequiredKinds[] = {"VAD", "ASR", "LLM", "TTS"};

std::string joined(const std::set<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

const std::vector<std::string>& provider_kinds() {
  static const std::vector<std::string> kinds = {"VAD", "ASR", "LLM", "VLLM", "TTS", "Memory", "Intent"};
  return kinds;
}

std::string selected_provider_type(const Json& root, const std::string& kind) {
  const Json* sel = find(root, "selected_module." + kind);
  if (!sel || !sel->is_string() || sel->get<std::string>().empty()) return {};
  const std::string name = sel->get<std::string>();
  const Json* section = find(root, kind);
  if (section && section->is_object()) {
    auto it = section->find(name);
    if (it != section->end() && it->is_object()) {
      auto t = it->find("type");
      if (t != it->end() && t->is_string() && !t->get<std::string>().empty())
        return t->get<std::string>();
    }
  }
  return name;
}

std::vector<std::string> validate_config(const Json& root, const KnownProviderTypes& known,
                                         const RefusedProviderTypes& refused) {
  std::vector<std::string> out;
  for (const auto& r : rules()) {
    const Json* v = find(root, r.path);
    // Absent or null keys fall back to code defaults (reference configs write `key: null`).
    if (!v || v->is_null()) continue;
    check(r, *v, out);
  }
  check_values(root, out);

  // Every entry of a provider section is kept, selected or not; an entry that is not a
  // mapping cannot be any engine's configuration (null is an empty entry).
  for (const auto& kind : provider_kinds()) {
    const Json* section = find(root, kind);
    if (!section || section->is_null()) continue;
    if (!section->is_object()) {
      out.push_back(kind + ": expected a mapping of entries, got " + shown(*section));
      continue;
    }
    for (auto it = section->begin(); it != section->end(); ++it) {
      if (!it->is_object() && !it->is_null())
        out.push_back(kind + "." + it.key() + ": expected a mapping, got " + shown(*it));
    }
  }

  const Json* selected = find(root, "selected_module");
  if (!selected || !selected->is_object()) {
    if (!selected) out.push_back("selected_module: missing");
    return out;
  }
  for (const auto& kind : provider_kinds()) {
    const std::string path = "selected_module." + kind;
    const Json* sel = find(root, path);
    bool required = false;
    for (const char* k : kRequiredKinds) required = required || k == kind;
    if (!sel || sel->is_null() || (sel->is_string() && sel->get<std::string>().empty())) {
      if (required) out.push_back(path + ": missing (name an entry of the " + kind + " section)");
      continue;
    }
    if (!sel->is_string()) {
      out.push_back(path + ": expected a string, got " + shown(*sel));
      continue;
    }
    const std::string name = sel->get<std::string>();
    const Json* section = find(root, kind);
    if (!section || !section->is_object() || !section->contains(name)) {
      // Memory and Intent may name a type directly ("nomem", "function_call").
      bool by_type = (kind == "Memory" || kind == "Intent");
      if (!by_type) {
        out.push_back(path + ": '" + name + "' is not an entry of the " + kind + " section");
        continue;
      }
    } else {
      const Json& entry = (*section)[name];
      if (!entry.is_object()) continue;  // reported above
      auto t = entry.find("type");
      if (t != entry.end() && !t->is_null() && !t->is_string()) {
        out.push_back(kind + "." + name + ".type: expected a string, got " + shown(*t));
        continue;
      }
    }
    auto k = known.find(kind);
    if (k != known.end() && !k->second.empty()) {
      std::string type = selected_provider_type(root, kind);
      if (!k->second.count(type)) {
        auto why = refused.find(kind + "." + type);
        out.push_back(unsupported_type_problem(kind, name, type, k->second, why == refused.end() ? "" : why->second));
      }
    }
  }
  return out;
}

std::string unsupported_type_problem(const std::string& kind, const std::string& entry, const std::string& type,
                                     const std::set<std::string>& supported, const std::string& reason) {
  return "selected_module." + kind + ": " + entry + " has type '" + type +
         "', which this server does not support (supported: " + joined(supported) + ")" +
         (reason.empty() ? "" : ": " + reason);
}

}  // namespace xz::core
