#pragma once
// handle_exit_intent(say_goodbye): the user wants to end the conversation. The
// goodbye is spoken and the connection closes after it.
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/tool.h"

namespace xz::tools::builtin {

class HandleExitIntent final : public Tool {
 public:
  explicit HandleExitIntent(std::string description = {});
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
