// An MCP client session (tools/mcp/mcp_session) talking to a scripted server: each line
// of the input is what the server sends when the client makes its next request
// (initialize, tools/list pages, tools/call), with "$ID" replaced by that request's id,
// followed by a well-formed answer so the session never waits on a timer. Whatever the
// lines hold, the session ends with McpError at worst: nothing else escapes it.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "fuzz/fuzz_check.h"
#include "protocol/json_text.h"
#include "tools/mcp/mcp_session.h"

namespace asio = boost::asio;
using namespace xz::tools::mcp;
using Json = nlohmann::json;

namespace {

class ScriptedTransport final : public McpTransport {
 public:
  explicit ScriptedTransport(std::vector<std::string> lines) : lines_(std::move(lines)) {}

  asio::awaitable<void> open(McpTransportHandlers handlers) override {
    handlers_ = std::move(handlers);
    co_return;
  }
  asio::awaitable<void> send(Json message) override {
    if (closed_) throw McpError("scripted server: closed");
    if (!message.is_object() || !message.contains("id") || !message.contains("method")) co_return;
    const std::string id = message["id"].dump();
    const std::string method = message.value("method", "");
    if (next_ < lines_.size()) {
      std::string line = lines_[next_++];
      for (auto at = line.find("$ID"); at != std::string::npos; at = line.find("$ID", at + id.size()))
        line.replace(at, 3, id);
      if (auto m = xz::protocol::parse_json_text(line); !m.is_discarded()) deliver_message(handlers_, std::move(m), "fuzz");
    }
    if (!closed_) deliver_message(handlers_, answer(message["id"], method), "fuzz");
    co_return;
  }
  asio::awaitable<void> close() override {
    closed_ = true;
    handlers_ = {};
    co_return;
  }
  std::string describe() const override { return "scripted"; }

 private:
  static Json answer(const Json& id, const std::string& method) {
    Json result;
    if (method == "initialize") {
      result = {{"protocolVersion", "2024-11-05"}, {"capabilities", {{"tools", Json::object()}}}};
    } else if (method == "tools/list") {
      result = {{"tools", Json::array({{{"name", "x"}, {"inputSchema", {{"type", "object"}}}}})}};
    } else if (method == "tools/call") {
      result = {{"content", Json::array({{{"type", "text"}, {"text", "ok"}}})}};
    } else {
      return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", -32601}, {"message", "no"}}}};
    }
    return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
  }

  std::vector<std::string> lines_;
  std::size_t next_ = 0;
  bool closed_ = false;
  McpTransportHandlers handlers_;
};

asio::awaitable<void> drive(std::shared_ptr<McpSession> session) {
  try {
    co_await session->start();
    auto outcome = co_await session->call_tool("x", Json::object(), std::chrono::seconds(5));
    (void)outcome;
  } catch (const McpError&) {
  }
  co_await session->close();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> lines;
  std::string_view in = xz::fuzz::as_text(data, size);
  while (!in.empty() && lines.size() < 32) {
    const auto nl = in.find('\n');
    lines.emplace_back(in.substr(0, nl));
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  }
  static asio::io_context io;  // one per process: making one costs three system calls
  io.restart();
  McpSessionOptions opts;
  opts.max_pages = 4;
  opts.request_timeout = std::chrono::seconds(5);
  auto session = McpSession::create(io.get_executor(), std::make_shared<ScriptedTransport>(std::move(lines)), opts);
  asio::co_spawn(io, drive(session), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);  // anything but McpError is a bug: libFuzzer reports it
  });
  io.run();
  FUZZ_CHECK(!session->is_open() && session->pending_requests() == 0);
  return 0;
}
