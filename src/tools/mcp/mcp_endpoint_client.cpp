#include "tools/mcp/mcp_endpoint_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "core/config.h"
#include "tools/mcp/mcp_connector.h"
#include "tools/mcp/mcp_remote_tool.h"
#include "tools/mcp/mcp_tool_result.h"
#include "tools/mcp/websocket_transport.h"

namespace xz::tools::mcp {

namespace asio = boost::asio;
using Json = nlohmann::json;

std::optional<std::string> mcp_endpoint_call_url(std::string_view configured) {
  std::string url(configured);
  while (!url.empty() && std::isspace(static_cast<unsigned char>(url.back()))) url.pop_back();
  while (!url.empty() && std::isspace(static_cast<unsigned char>(url.front()))) url.erase(url.begin());
  if (url.empty() || url == "null" || core::is_placeholder(url)) return std::nullopt;
  if (!url.starts_with("ws://") && !url.starts_with("wss://"))
    throw McpError(fmt::format("mcp_endpoint: '{}' is not a ws:// or wss:// URL", url_without_query(url)));
  if (auto at = url.find("/mcp/"); at != std::string::npos) url.replace(at, 5, "/call/");
  return url;
}

struct McpEndpointClient::Core final : McpToolBackend, std::enable_shared_from_this<Core> {
  Core(asio::any_io_executor e, McpEndpointOptions o, core::SessionLog l)
      : ex(std::move(e)), opts(std::move(o)), log(std::move(l)) {}

  asio::any_io_executor executor() const override { return ex; }

  core::Task<ToolResult> call_tool(std::string /*server*/, std::string tool, Json arguments) override {
    if (!connector || closing)
      co_return tool_result_from_mcp_failure("the MCP endpoint is not connected");
    try {
      auto outcome = co_await connector->call_tool(std::move(tool), std::move(arguments), opts.call_timeout);
      co_return tool_result_from_mcp(outcome);
    } catch (const McpError& e) {
      co_return tool_result_from_mcp_failure(e.what());
    }
  }

  void rebuild() {
    std::vector<ToolPtr> list;
    std::weak_ptr<McpToolBackend> backend = std::static_pointer_cast<McpToolBackend>(shared_from_this());
    for (const auto& t : connector->tools()) {
      providers::ToolSchema schema{t.name, t.description, t.input_schema};
      list.push_back(std::make_shared<McpRemoteTool>(std::move(schema), "mcp_endpoint", t.name, backend));
    }
    tools = std::move(list);
    const bool now_connected = connector->connected();
    if (now_connected) {
      log.info("MCP endpoint: {} tools", tools.size());
    } else if (was_connected) {
      log.info("MCP endpoint: disconnected; its tools are gone until it is back");
    }
    was_connected = now_connected;
    if (handler) {
      auto fn = handler;
      fn(tools);
    }
  }

  asio::any_io_executor ex;
  McpEndpointOptions opts;
  core::SessionLog log;
  std::shared_ptr<McpConnector> connector;
  std::vector<ToolPtr> tools;
  std::function<void(std::vector<ToolPtr>)> handler;
  bool started = false;
  bool closing = false;
  bool was_connected = false;
};

McpEndpointClient::McpEndpointClient(asio::any_io_executor session_ex, McpEndpointOptions opts, core::SessionLog log)
    : core_(std::make_shared<Core>(std::move(session_ex), std::move(opts), std::move(log))) {
  auto& c = *core_;
  McpConnectorOptions co;
  co.session.label = "MCP endpoint";
  co.session.client_name = "XiaozhiMCPEndpointClient";
  co.session.client_version = "1.0.0";
  co.session.request_timeout = c.opts.init_timeout;
  co.backoff_min = c.opts.backoff_min;
  co.backoff_max = c.opts.backoff_max;
  WebSocketTransportOptions wo;
  wo.name = "endpoint";
  wo.url = c.opts.url;
  wo.tls_context = c.opts.tls_context;
  auto ex = c.ex;
  McpTransportFactory factory = [ex, wo]() -> std::shared_ptr<McpTransport> {
    return std::make_shared<WebSocketTransport>(ex, wo);
  };
  c.connector = McpConnector::create(c.ex, std::move(factory), std::move(co));
  std::weak_ptr<Core> weak = core_;
  c.connector->set_change_handler([weak] {
    if (auto core = weak.lock()) core->rebuild();
  });
}

McpEndpointClient::~McpEndpointClient() {
  core_->handler = {};
  if (!core_->started || core_->closing) return;
  core_->closing = true;
  asio::co_spawn(core_->ex, core_->connector->stop(), asio::detached);
}

void McpEndpointClient::set_tools_handler(std::function<void(std::vector<ToolPtr>)> fn) { core_->handler = std::move(fn); }

void McpEndpointClient::start() {
  if (core_->started) return;
  core_->started = true;
  core_->log.info("MCP endpoint: connecting to {}", url_without_query(core_->opts.url));
  core_->connector->start();
}

core::Task<void> McpEndpointClient::close() {
  auto core = core_;
  core->closing = true;
  core->handler = {};
  co_await core->connector->stop();
  core->tools.clear();
}

const std::vector<ToolPtr>& McpEndpointClient::tools() const { return core_->tools; }
bool McpEndpointClient::connected() const { return core_->connector->connected(); }
std::size_t McpEndpointClient::connects() const { return core_->connector->connects(); }

}  // namespace xz::tools::mcp
