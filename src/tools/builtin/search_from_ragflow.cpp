#include "tools/builtin/search_from_ragflow.h"

#include <fmt/format.h>

#include "core/log.h"
#include "tools/builtin/tool_args.h"
#include "tools/builtin/web_api.h"

namespace xz::tools::builtin {

namespace {

constexpr std::string_view kUnavailable = "Sorry, I can't reach the knowledge base right now. Please try again later.";

ToolResult unavailable(std::string detail) {
  ToolResult r = ToolResult::failed(std::string(kUnavailable));
  r.result = std::move(detail);
  return r;
}

}  // namespace

RagflowSettings RagflowSettings::from(const PluginConfig& cfg) {
  RagflowSettings s;
  s.base_url = cfg.str("base_url", "");
  while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
  if (s.base_url.empty())
    cfg.problem("base_url", "required: the RAGFlow server's address, e.g. http://192.168.0.8");
  else if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0)
    cfg.problem("base_url", "expected an http(s) URL");
  s.api_key = cfg.str("api_key", "");
  if (s.api_key.empty()) cfg.problem("api_key", "required: a RAGFlow API key");
  // A list, or one string of ids separated by commas or new lines (as a form sends it).
  for (const auto& entry : cfg.string_list("dataset_ids", {})) {
    std::size_t start = 0;
    while (start <= entry.size()) {
      std::size_t end = entry.find(',', start);
      if (end == std::string::npos) end = entry.size();
      std::string id = entry.substr(start, end - start);
      id.erase(0, id.find_first_not_of(" \t\""));
      id.erase(id.find_last_not_of(" \t\"") + 1);
      if (!id.empty()) s.dataset_ids.push_back(std::move(id));
      start = end + 1;
    }
  }
  if (s.dataset_ids.empty()) cfg.problem("dataset_ids", "required: the ids of the datasets (knowledge bases) to search");
  s.max_chunks = static_cast<std::size_t>(cfg.integer("max_chunks", 5, 1, 30));
  s.max_chars = static_cast<std::size_t>(cfg.integer("max_chars", 4000, 500, 20000));
  s.timeout = std::chrono::milliseconds(static_cast<long>(cfg.number("timeout", 10, 0.1, 120) * 1000));
  s.description = cfg.description("");
  return s;
}

SearchFromRagflow::SearchFromRagflow(RagflowSettings settings, std::shared_ptr<net::HttpClient> http)
    : settings_(std::move(settings)), http_(std::move(http)) {
  schema_.name = "search_from_ragflow";
  schema_.description = !settings_.description.empty()
                            ? settings_.description
                            : "Query information from the knowledge base (从知识库中查询信息).";
  schema_.parameters = {
      {"type", "object"},
      {"properties", {{"question", {{"type", "string"}, {"description", "The question to look up."}}}}},
      {"required", {"question"}},
  };
}

boost::asio::awaitable<ToolResult> SearchFromRagflow::call(nlohmann::json arguments, SessionActions& session) {
  const std::string question = utf8_truncate(string_arg(arguments, "question"), 2000);
  if (question.empty())
    co_return ToolResult::llm("The knowledge base was asked nothing; ask the user what to look up.");
  net::HttpClientRequest req;
  req.method = "POST";
  req.url = settings_.base_url + "/api/v1/retrieval";
  req.headers = {{"Authorization", "Bearer " + settings_.api_key}, {"Content-Type", "application/json"}};
  req.body = nlohmann::json{{"question", question},
                            {"dataset_ids", settings_.dataset_ids},
                            {"page_size", settings_.max_chunks}}
                 .dump();
  req.connect_timeout = req.total_timeout = settings_.timeout;
  req.max_response_bytes = 8 << 20;
  const core::SessionLog log(session.device_id(), session.session_id());
  WebApiReply reply;
  try {
    reply = co_await call_web_api(*http_, std::move(req));
  } catch (const WebApiError& e) {
    log.warn("search_from_ragflow: {}", e.what());
    co_return unavailable(e.what());
  }
  const nlohmann::json& body = reply.body;
  // RAGFlow answers errors with HTTP 200 and a code, but proxies and old versions may not.
  if (!body.is_object() || !body.contains("code") || !body["code"].is_number_integer()) {
    const std::string detail = reply.status < 200 || reply.status > 299
                                   ? fmt::format("RAGFlow answered HTTP {}: {}", reply.status, api_message(reply))
                                   : fmt::format("RAGFlow sent an answer without a code: {}", api_message(reply));
    log.warn("search_from_ragflow: {}", detail);
    co_return unavailable(detail);
  }
  if (const auto code = body["code"].get<long long>(); code != 0) {
    const std::string detail = fmt::format("RAGFlow error {}: {}", code, api_message(reply));
    log.warn("search_from_ragflow: {}", detail);
    ToolResult r = ToolResult::failed("Sorry, the knowledge base reported an error; please check its settings.");
    r.result = detail;
    co_return r;
  }
  std::vector<std::string> contents;
  if (body.contains("data") && body["data"].is_object() && body["data"].contains("chunks") &&
      body["data"]["chunks"].is_array()) {
    for (const auto& chunk : body["data"]["chunks"]) {
      if (contents.size() >= settings_.max_chunks) break;
      if (!chunk.is_object() || !chunk.contains("content") || !chunk["content"].is_string()) continue;
      const std::string& content = chunk["content"].get_ref<const std::string&>();
      if (content.find_first_not_of(" \t\r\n") == std::string::npos) continue;
      contents.push_back(content);
    }
  } else if (!body.contains("data") || !body["data"].is_object()) {
    log.warn("search_from_ragflow: RAGFlow sent code 0 without data");
    co_return unavailable("RAGFlow sent code 0 without a data object");
  }
  if (contents.empty())
    co_return ToolResult::llm(fmt::format("The knowledge base has nothing about \"{}\".", question));
  std::string text = fmt::format("Knowledge base results for \"{}\":", utf8_truncate(question, 200));
  // An equal share of the room for each passage ("\n[i] " takes up to 8 bytes).
  const std::size_t room = settings_.max_chars > text.size() ? settings_.max_chars - text.size() : 0;
  const std::size_t per_chunk = std::max<std::size_t>(100, room / contents.size() > 8 ? room / contents.size() - 8 : 0);
  for (std::size_t i = 0; i < contents.size(); ++i) {
    std::string item = fmt::format("\n[{}] {}", i + 1, utf8_truncate(contents[i], per_chunk));
    if (text.size() + item.size() > settings_.max_chars) {
      if (i == 0) text += utf8_truncate(item, settings_.max_chars > text.size() ? settings_.max_chars - text.size() : 0);
      break;
    }
    text += item;
  }
  co_return ToolResult::llm(std::move(text));
}

}  // namespace xz::tools::builtin
