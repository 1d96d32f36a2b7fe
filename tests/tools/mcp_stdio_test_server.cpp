// A small stdio MCP server for the MCP client tests: newline-delimited JSON-RPC on
// stdin/stdout, log lines on stderr. Tools:
//   echo{text,hostile}  add{a,b}  pid  slow{ms} (answers from a thread, out of order)
//   env{name}  crash (exits at once, code 3)  change_tools (adds "extra", then sends
//   notifications/tools/list_changed)  fail (isError)  speak (JSON text with an action)
//   ask_client (sends the client a sampling request and reports its answer)
// echo with hostile: true first writes support/hostile_mcp.h's messages.
// tools/list comes in two pages. Options: --ignore-stdin-eof (keep running when stdin
// closes), --ignore-sigterm.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/hostile_mcp.h"

using Json = nlohmann::json;

namespace {

std::mutex out_mu;
bool tools_changed = false;
Json ask_client_call_id;  // the tools/call waiting for the client's answer

void write(const Json& m) {
  std::lock_guard lk(out_mu);
  std::cout << m.dump() << '\n' << std::flush;
}

void write_line(const std::string& text) {
  std::lock_guard lk(out_mu);
  std::cout << text << '\n' << std::flush;
}

Json result(const Json& id, Json r) { return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(r)}}; }

Json error(const Json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

Json text_result(const std::string& text, bool is_error = false) {
  Json r = {{"content", Json::array({{{"type", "text"}, {"text", text}}})}};
  if (is_error) r["isError"] = true;
  return r;
}

Json tool(const std::string& name, const std::string& description, Json properties = Json::object()) {
  return {{"name", name},
          {"description", description},
          {"inputSchema", {{"type", "object"}, {"properties", std::move(properties)}}}};
}

Json page_one() {
  return Json::array({tool("echo", "Repeats the text", {{"text", {{"type", "string"}}}}),
                      tool("add", "Adds two numbers", {{"a", {{"type", "number"}}}, {"b", {{"type", "number"}}}}),
                      tool("pid", "The server's process id"),
                      tool("slow", "Answers after ms milliseconds", {{"ms", {{"type", "integer"}}}})});
}

Json page_two() {
  Json tools = Json::array({tool("env", "An environment variable", {{"name", {{"type", "string"}}}}),
                            tool("crash", "Exits at once"), tool("change_tools", "Adds a tool"),
                            tool("fail", "Always fails"), tool("speak", "Says hello directly"),
                            tool("ask_client", "Asks the client for a completion")});
  if (tools_changed) tools.push_back(tool("extra", "Appears after change_tools"));
  return tools;
}

void call_tool(const Json& id, const Json& params) {
  const std::string name = params.value("name", "");
  const Json args = params.value("arguments", Json::object());
  if (name == "echo") {
    if (args.value("hostile", false))
      for (const auto& m : xz::test::hostile_mcp_messages()) write_line(m);
    return write(result(id, text_result(args.value("text", ""))));
  }
  if (name == "add") {
    double sum = args.value("a", 0.0) + args.value("b", 0.0);
    return write(result(id, text_result(Json(sum).dump())));
  }
  if (name == "pid") return write(result(id, text_result(std::to_string(::getpid()))));
  if (name == "slow") {
    int ms = args.value("ms", 1000);
    std::thread([id, ms] {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      write(result(id, text_result("slept " + std::to_string(ms))));
    }).detach();
    return;
  }
  if (name == "env") {
    const char* v = std::getenv(args.value("name", "").c_str());
    return write(result(id, text_result(v ? v : "(unset)")));
  }
  if (name == "crash") {
    std::cerr << "crashing on request" << std::endl;
    std::_Exit(3);
  }
  if (name == "change_tools") {
    tools_changed = true;
    write(result(id, text_result("changed")));
    return write({{"jsonrpc", "2.0"}, {"method", "notifications/tools/list_changed"}});
  }
  if (name == "fail") return write(result(id, text_result("it broke", true)));
  if (name == "speak")
    return write(result(id, text_result(R"({"action":"RESPONSE","response":"Hello from the tool"})")));
  if (name == "ask_client") {
    ask_client_call_id = id;
    return write({{"jsonrpc", "2.0"},
                  {"id", "srv-1"},
                  {"method", "sampling/createMessage"},
                  {"params", {{"messages", Json::array()}, {"maxTokens", 10}}}});
  }
  if (name == "extra" && tools_changed) return write(result(id, text_result("extra tool")));
  write(error(id, -32602, "Unknown tool: " + name));
}

void handle(const Json& m) {
  if (!m.is_object()) return;
  if (!m.contains("method")) {  // the client's answer to our request
    if (m.value("id", Json()) == "srv-1" && !ask_client_call_id.is_null()) {
      std::string answer = m.contains("error") ? "error " + m["error"].value("code", Json(0)).dump() + ": " +
                                                     m["error"].value("message", "")
                                               : "result";
      write(result(ask_client_call_id, text_result("client answered: " + answer)));
      ask_client_call_id = nullptr;
    }
    return;
  }
  const std::string method = m["method"].get<std::string>();
  const bool is_request = m.contains("id") && !m["id"].is_null();
  const Json id = is_request ? m["id"] : Json();
  const Json params = m.value("params", Json::object());
  if (method == "initialize") {
    write(result(id, {{"protocolVersion", params.value("protocolVersion", "2024-11-05")},
                      {"capabilities", {{"tools", {{"listChanged", true}}}, {"logging", Json::object()}}},
                      {"serverInfo", {{"name", "mcp-stdio-test"}, {"version", "1.0"}}}}));
    return;
  }
  if (method == "notifications/initialized") {
    write({{"jsonrpc", "2.0"},
           {"method", "notifications/message"},
           {"params", {{"level", "info"}, {"data", "test server ready"}}}});
    return;
  }
  if (!is_request) return;  // other notifications (cancelled, ...)
  if (method == "ping") return write(result(id, Json::object()));
  if (method == "tools/list") {
    const std::string cursor = params.value("cursor", "");
    if (cursor.empty()) return write(result(id, {{"tools", page_one()}, {"nextCursor", "page-2"}}));
    if (cursor == "page-2") return write(result(id, {{"tools", page_two()}}));
    return write(error(id, -32602, "bad cursor"));
  }
  if (method == "tools/call") return call_tool(id, params);
  write(error(id, -32601, "Method not found: " + method));
}

}  // namespace

int main(int argc, char** argv) {
  bool ignore_eof = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ignore-stdin-eof") == 0) ignore_eof = true;
    if (std::strcmp(argv[i], "--ignore-sigterm") == 0) ::signal(SIGTERM, SIG_IGN);
  }
  std::cerr << "mcp_stdio_test_server " << ::getpid() << " starting" << std::endl;
  {
    // Some servers print a banner to stdout; clients must skip it.
    std::lock_guard lk(out_mu);
    std::cout << "not json: banner" << std::endl;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    Json m = Json::parse(line, nullptr, false);
    if (m.is_discarded()) {
      std::cerr << "bad line: " << line << std::endl;
      continue;
    }
    handle(m);
  }
  std::cerr << "stdin closed" << std::endl;
  if (ignore_eof) {
    for (;;) ::pause();
  }
  return 0;
}
