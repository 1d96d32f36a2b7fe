#pragma once
// change_role(role, role_name): switches the assistant's persona for the rest of the
// session to one of the configured roles (plugins.change_role.roles: name -> prompt,
// where "{{assistant_name}}" in the prompt becomes role_name).
#include <map>
#include <string>

#include "tools/builtin/plugin_config.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/tool.h"

namespace xz::tools::builtin {

struct ChangeRoleSettings {
  std::map<std::string, std::string> roles;  // role -> prompt; never empty
  std::string description;                   // "" = the default

  static std::map<std::string, std::string> default_roles();
  static ChangeRoleSettings from(const PluginConfig& cfg);
};

class ChangeRole final : public Tool {
 public:
  explicit ChangeRole(ChangeRoleSettings settings);
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  std::string role_list() const;

  ChangeRoleSettings settings_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
