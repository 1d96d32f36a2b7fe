#include "tools/builtin/handle_exit_intent.h"

namespace xz::tools::builtin {

HandleExitIntent::HandleExitIntent(std::string description) {
  schema_.name = "handle_exit_intent";
  schema_.description = description.empty()
                            ? "Call this when the user wants to end the conversation or leave (e.g. \"bye\", "
                              "\"goodbye\", \"that's all\", 再见, 退出, 拜拜)."
                            : std::move(description);
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"say_goodbye",
         {{"type", "string"},
          {"description", "A short, friendly goodbye to the user, in the user's language."}}}}},
      {"required", {"say_goodbye"}},
  };
}

boost::asio::awaitable<ToolResult> HandleExitIntent::call(nlohmann::json arguments, SessionActions& session) {
  std::string goodbye;
  if (arguments.is_object() && arguments.contains("say_goodbye") && arguments["say_goodbye"].is_string())
    goodbye = arguments["say_goodbye"].get<std::string>();
  if (goodbye.find_first_not_of(" \t\r\n") == std::string::npos) goodbye = "Goodbye, have a wonderful day!";
  session.close_after_reply();
  ToolResult r = ToolResult::speak(std::move(goodbye));
  r.result = "Exit intent handled";
  co_return r;
}

}  // namespace xz::tools::builtin
