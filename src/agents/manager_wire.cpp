#include "agents/manager_wire.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/config.h"
#include "core/config_schema.h"

namespace xz::agents {

namespace {

using Json = nlohmann::json;

// Answers are nested a few levels; deeper is refused before parsing (bounds the
// recursion of merging and of the parser's callers).
constexpr int kMaxDepth = 64;

bool nesting_exceeds(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

std::string shortened(std::string s, std::size_t n = 200) {
  if (s.size() > n) s = s.substr(0, n) + "...";
  return s;
}

const Json* member(const Json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::string string_at(const Json& j, std::string_view key) {
  const Json* v = member(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

// Restores `path` (dotted) of `local` into `out`; absent locally = absent.
void keep_local(Json& out, const Json& local, const std::vector<std::string>& path) {
  const Json* from = &local;
  for (const auto& k : path) {
    from = member(*from, k);
    if (!from) break;
  }
  if (!from) {
    // Absent locally: absent in the result too (the answer's value goes).
    Json* at = &out;
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
      if (!at->is_object() || !at->contains(path[i])) return;
      at = &(*at)[path[i]];
    }
    if (at->is_object()) at->erase(path.back());
    return;
  }
  // What stays local wins over whatever the answer put on its path.
  Json* to = &out;
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    if (!to->is_object()) *to = Json::object();
    to = &(*to)[path[i]];
  }
  if (!to->is_object()) *to = Json::object();
  (*to)[path.back()] = *from;
}

}  // namespace

ManagerEnvelope parse_envelope(std::string_view body) {
  ManagerEnvelope e;
  if (nesting_exceeds(body, kMaxDepth)) {
    e.message = fmt::format("the answer is nested deeper than {} levels", kMaxDepth);
    return e;
  }
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    e.message = "the answer is not a JSON object: " + shortened(std::string(body));
    return e;
  }
  const Json* code = member(j, "code");
  long long c = 0;
  if (code && code->is_number_integer()) {
    c = code->get<long long>();
  } else if (code && code->is_string()) {
    try {
      c = std::stoll(code->get<std::string>());
    } catch (const std::exception&) {
      code = nullptr;
    }
  } else {
    code = nullptr;
  }
  if (!code) {
    e.message = "the answer has no numeric code: " + shortened(j.dump(-1, ' ', false, Json::error_handler_t::replace));
    return e;
  }
  const Json* msg = member(j, "msg");
  std::string text = msg && msg->is_string() ? msg->get<std::string>() : std::string();
  switch (c) {
    case 0:
      e.outcome = ManagerOutcome::data;
      if (const Json* d = member(j, "data")) e.data = *d;
      break;
    case 10041:
      e.outcome = ManagerOutcome::device_not_found;
      e.message = std::move(text);
      break;
    case 10042:
      e.outcome = ManagerOutcome::bind_device;
      e.message = std::move(text);
      break;
    default:
      e.message = fmt::format("the manager answered code {}{}{}", c, text.empty() ? "" : ": ", shortened(text));
      break;
  }
  return e;
}

Json merge_server_base(const Json& local, const Json& base) {
  Json out = local.is_object() ? local : Json::object();
  if (base.is_object()) {
    Json over = base;
    for (auto it = over.begin(); it != over.end();) {
      if (it->is_null())
        it = over.erase(it);
      else
        ++it;
    }
    core::deep_merge(out, over);
  }
  for (const char* k : {"ip", "port", "http_port", "vision_explain", "auth_key"}) keep_local(out, local, {"server", k});
  keep_local(out, local, {"prompt_template"});
  keep_local(out, local, {"manager-api"});
  keep_local(out, local, {"log", "data_dir"});
  keep_local(out, local, {"log", "log_dir"});
  return out;
}

Json agent_config(const Json& server, const Json& agent, const std::vector<std::string>& correct_words,
                  const std::vector<std::string>& known_functions, std::vector<std::string>* warnings) {
  Json cfg = server.is_object() ? server : Json::object();
  auto warn = [&](std::string w) {
    if (warnings) warnings->push_back(std::move(w));
  };
  if (!agent.is_object()) {
    if (!agent.is_null()) warn("agent-models: the answer's data is not an object; the server's agent is used");
    return cfg;
  }
  if (!cfg["selected_module"].is_object()) cfg["selected_module"] = Json::object();
  auto& selected = cfg["selected_module"];
  const Json* agent_selected = member(agent, "selected_module");

  // One kind's entry: the agent's entry (whole, not merged) under its name, and selected.
  auto take = [&](const std::string& kind, bool only_if_other_model) {
    const Json* section = member(agent, kind);
    if (!section) return;
    const std::string name = agent_selected ? string_at(*agent_selected, kind) : std::string();
    if (!section->is_object() || name.empty() || !member(*section, name) || !(*section)[name].is_object()) {
      warn(fmt::format("agent-models: {} names no entry of its own (selected_module.{} = '{}'); the server's is used",
                       kind, kind, name));
      return;
    }
    if (only_if_other_model && selected.is_object() && string_at(selected, kind) == name) return;
    if (!cfg[kind].is_object()) cfg[kind] = Json::object();
    // Every entry the answer holds: an intent or memory entry may name another LLM.
    for (auto it = section->begin(); it != section->end(); ++it)
      if (it->is_object()) cfg[kind][it.key()] = *it;
    selected[kind] = name;
  };
  take("VAD", true);
  take("ASR", true);
  for (const char* kind : {"LLM", "VLLM", "TTS", "Memory", "Intent"}) take(kind, false);

  // Plugins: the answer's values are JSON strings; they are the intent's functions.
  const std::string intent = string_at(selected, "Intent");
  if (member(agent, "Intent") && !intent.empty() && intent != "Intent_nointent") {
    std::vector<std::string> functions;
    if (const Json* plugins = member(agent, "plugins"); plugins && plugins->is_object()) {
      if (!cfg["plugins"].is_object()) cfg["plugins"] = Json::object();
      const auto& known = known_functions;
      for (auto it = plugins->begin(); it != plugins->end(); ++it) {
        if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
          warn(fmt::format("agent-models: plugin '{}' is not a function this server has; skipped", it.key()));
          continue;
        }
        Json settings = it->is_string() ? Json::parse(it->get<std::string>(), nullptr, false) : *it;
        if (settings.is_discarded() || !(settings.is_object() || settings.is_null())) {
          warn(fmt::format("agent-models: plugins.{} is not a JSON object; the server's settings are used", it.key()));
          settings = Json::object();
        }
        if (settings.is_object() && !settings.empty()) {
          if (!cfg["plugins"][it.key()].is_object()) cfg["plugins"][it.key()] = Json::object();
          core::deep_merge(cfg["plugins"][it.key()], settings);
        }
        functions.push_back(it.key());
      }
    }
    if (cfg["Intent"].is_object() && cfg["Intent"][intent].is_object()) cfg["Intent"][intent]["functions"] = functions;
  }

  for (const char* key : {"prompt", "mcp_endpoint"})
    if (const Json* v = member(agent, key); v && v->is_string()) cfg[key] = *v;
  for (const char* key : {"context_providers", "voiceprint"})
    if (const Json* v = member(agent, key)) cfg[key] = *v;

  if (!correct_words.empty()) {
    Json words = cfg["replacement_words"].is_array() ? cfg["replacement_words"] : Json::array();
    for (const auto& w : correct_words) {
      const auto bar = w.find('|');
      if (bar == std::string::npos || bar == 0) {
        warn(fmt::format("correct-words: '{}' is not 'word|replacement'; skipped", shortened(w, 60)));
        continue;
      }
      words.push_back(w);
    }
    cfg["replacement_words"] = std::move(words);
  }
  return cfg;
}

std::optional<int> chat_history_conf(const Json& agent) {
  const Json* v = member(agent, "chat_history_conf");
  if (!v) return std::nullopt;
  long long n = -1;
  if (v->is_number_integer()) {
    n = v->get<long long>();
  } else if (v->is_string()) {
    try {
      n = std::stoll(v->get<std::string>());
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (n < 0 || n > 2) return std::nullopt;
  return static_cast<int>(n);
}

std::optional<std::string> summary_memory(const Json& agent) {
  const Json* v = member(agent, "summaryMemory");
  if (!v || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

bool manager_summarises(const Json& effective_config) {
  return core::selected_provider_type(effective_config, "Memory") == "mem_local_short";
}

std::vector<std::string> correct_words(const Json& data, std::size_t max) {
  std::vector<std::string> out;
  if (!data.is_array()) return out;
  for (const auto& w : data) {
    if (out.size() >= max) break;
    if (w.is_string()) out.push_back(w.get<std::string>());
  }
  return out;
}

}  // namespace xz::agents
