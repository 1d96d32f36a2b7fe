#include "pipeline/intent_classifier.h"

#include <nlohmann/json.hpp>

#include "protocol/json_text.h"

namespace xz::pipeline {

using Json = nlohmann::json;

std::string intent_prompt(const std::vector<providers::ToolSchema>& tools) {
  Json list = Json::array();
  for (const auto& t : tools)
    list.push_back({{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}});
  std::string p =
      "You are the intent classifier of a voice assistant. Read the conversation and the user's last words, "
      "and decide whether one of the functions below should run.\n"
      "Answer with pure JSON only, no other text:\n"
      "- a function fits: {\"function_call\": {\"name\": \"<function name>\", \"arguments\": {<arguments>}}}\n"
      "- nothing fits (small talk, questions the assistant can answer itself): "
      "{\"function_call\": {\"name\": \"continue_chat\"}}\n"
      "Fill the arguments from the user's words, following each function's parameter schema.\n\n"
      "Functions:\n";
  p += list.dump(2);
  return p;
}

namespace {
// The outermost {...} of a text that may wrap the JSON in prose or code fences.
std::optional<Json> first_object(std::string_view text) {
  auto open = text.find('{');
  auto close = text.rfind('}');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  Json j = protocol::parse_json_text(text.substr(open, close - open + 1));
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}
}  // namespace

std::optional<providers::ToolCall> parse_intent_answer(std::string_view answer,
                                                       const std::vector<providers::ToolSchema>& tools) {
  auto j = first_object(answer);
  if (!j) return std::nullopt;
  const Json* fc = j->contains("function_call") ? &(*j)["function_call"] : &*j;
  if (!fc->is_object() || !fc->contains("name") || !(*fc)["name"].is_string()) return std::nullopt;
  std::string name = (*fc)["name"].get<std::string>();
  bool known = false;
  for (const auto& t : tools) known = known || t.name == name;
  if (!known) return std::nullopt;  // continue_chat, or a function we do not offer
  Json args = Json::object();
  if (auto a = fc->find("arguments"); a != fc->end()) {
    if (a->is_object()) {
      args = *a;
    } else if (a->is_string()) {
      Json parsed = protocol::parse_json_text(a->get<std::string>());
      if (parsed.is_object()) args = std::move(parsed);
    }
  }
  return providers::ToolCall{.id = {}, .name = std::move(name), .arguments = args.dump()};
}

boost::asio::awaitable<std::optional<providers::ToolCall>> classify_intent(
    providers::LlmEngine& llm, std::vector<providers::ToolSchema> tools,
    std::span<const providers::ChatMessage> dialogue, std::string user_text, std::size_t context_messages) {
  std::string context;
  std::size_t shown = 0;
  std::vector<const providers::ChatMessage*> recent;
  for (auto it = dialogue.rbegin(); it != dialogue.rend() && shown < context_messages; ++it) {
    if ((it->role != "user" && it->role != "assistant") || it->content.empty()) continue;
    recent.push_back(&*it);
    ++shown;
  }
  for (auto it = recent.rbegin(); it != recent.rend(); ++it)
    context += ((*it)->role == "user" ? "User: " : "Assistant: ") + (*it)->content + "\n";

  providers::ChatRequest req;
  req.messages.push_back({"system", intent_prompt(tools), {}, {}});
  std::string ask = context.empty() ? "" : "Conversation so far:\n" + context + "\n";
  ask += "User: " + user_text;
  req.messages.push_back({"user", std::move(ask), {}, {}});
  std::string answer;
  providers::ChatSink sink = [&answer](const providers::ChatDelta& d) { answer += d.text; };
  co_await llm.chat(std::move(req), std::move(sink));
  co_return parse_intent_answer(answer, tools);
}

}  // namespace xz::pipeline
