#include "tools/builtin/change_role.h"

#include <cctype>

#include <fmt/format.h>

namespace xz::tools::builtin {

namespace {

constexpr std::string_view kNamePlaceholder = "{{assistant_name}}";

// "English Teacher", "english-teacher" and "english_teacher" name the same role.
std::string role_key(std::string_view role) {
  std::string out;
  for (unsigned char c : role) {
    if (c == ' ' || c == '-' || c == '_') {
      if (!out.empty() && out.back() != '_') out.push_back('_');
    } else {
      out.push_back(static_cast<char>(std::tolower(c)));
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

std::string string_arg(const nlohmann::json& args, const char* key) {
  if (!args.is_object() || !args.contains(key) || !args[key].is_string()) return {};
  return args[key].get<std::string>();
}

}  // namespace

std::map<std::string, std::string> ChangeRoleSettings::default_roles() {
  return {
      {"english_teacher",
       "You are an English teacher named {{assistant_name}}. You speak clear, standard American English and "
       "help the user practise speaking: use simple words and grammar, keep answers short so the user talks "
       "more, gently correct mistakes, and mix in the user's own language only when it helps. Politely steer "
       "questions unrelated to learning English back to practice."},
      {"curious_boy",
       "You are {{assistant_name}}, an 8-year-old boy with a young voice full of curiosity. You love books, "
       "experiments, the stars, insects, history and new technology, and you are eager to explore every "
       "question together with the user, asking questions back and sharing the joy of discovery. Keep answers "
       "short and lively, as a child speaks."},
      {"storyteller",
       "You are {{assistant_name}}, a warm storyteller. You tell vivid, gentle stories suited to the listener, "
       "with clear pictures, a little suspense and a happy ending; you invite the listener to choose what "
       "happens next. Keep each reply to a few spoken sentences so the story flows as a conversation."},
  };
}

ChangeRoleSettings ChangeRoleSettings::from(const PluginConfig& cfg) {
  ChangeRoleSettings s;
  s.description = cfg.description("");
  s.roles = default_roles();
  if (const auto* node = cfg.find("roles")) {
    if (!node->is_object() || node->empty()) {
      cfg.problem("roles", "expected a map of role name -> prompt");
    } else {
      s.roles.clear();
      for (const auto& [name, prompt] : node->items()) {
        if (!prompt.is_string() || prompt.get<std::string>().empty())
          cfg.problem("roles." + name, "expected a non-empty prompt");
        else
          s.roles[name] = prompt.get<std::string>();
      }
      if (s.roles.empty()) s.roles = default_roles();
    }
  }
  return s;
}

ChangeRole::ChangeRole(ChangeRoleSettings settings) : settings_(std::move(settings)) {
  if (settings_.roles.empty()) settings_.roles = ChangeRoleSettings::default_roles();
  schema_.name = "change_role";
  schema_.description =
      !settings_.description.empty()
          ? settings_.description
          : fmt::format("Call this when the user wants to switch the assistant's role, personality or name "
                        "(切换角色). Available roles: [{}].",
                        role_list());
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"role", {{"type", "string"}, {"description", "The role to switch to: one of the available roles."}}},
        {"role_name", {{"type", "string"}, {"description", "The name the assistant takes in the new role."}}}}},
      {"required", {"role", "role_name"}},
  };
}

std::string ChangeRole::role_list() const {
  std::string out;
  for (const auto& [name, prompt] : settings_.roles) out += (out.empty() ? "" : ", ") + name;
  return out;
}

boost::asio::awaitable<ToolResult> ChangeRole::call(nlohmann::json arguments, SessionActions& session) {
  const std::string role = string_arg(arguments, "role");
  std::string name = string_arg(arguments, "role_name");
  const std::map<std::string, std::string>::value_type* found = nullptr;
  for (const auto& entry : settings_.roles)
    if (entry.first == role || role_key(entry.first) == role_key(role)) found = &entry;
  if (!found) {
    ToolResult r;
    r.action = Action::not_found;
    r.result = fmt::format("Unknown role '{}'", role);
    r.response = fmt::format("Sorry, I can't switch to the role '{}'. The roles I know are: {}.", role, role_list());
    co_return r;
  }
  const std::string label = [&] {
    std::string s = found->first;
    for (auto& c : s)
      if (c == '_') c = ' ';
    return s;
  }();
  if (name.find_first_not_of(" \t") == std::string::npos) name = label;
  std::string prompt = found->second;
  for (auto at = prompt.find(kNamePlaceholder); at != std::string::npos;
       at = prompt.find(kNamePlaceholder, at + name.size()))
    prompt.replace(at, kNamePlaceholder.size(), name);
  session.set_persona(std::move(prompt));
  ToolResult r = ToolResult::speak(fmt::format("Role switched! I am now {}, your {}.", name, label));
  r.result = fmt::format("Switched to role {} named {}", found->first, name);
  co_return r;
}

}  // namespace xz::tools::builtin
