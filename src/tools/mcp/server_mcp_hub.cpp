#include "tools/mcp/server_mcp_hub.h"

#include <map>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/http_client.h"
#include "tools/mcp/mcp_connector.h"
#include "tools/mcp/mcp_remote_tool.h"
#include "tools/mcp/mcp_tool_result.h"
#include "tools/mcp/run_on.h"
#include "tools/mcp/sse_transport.h"
#include "tools/mcp/stdio_transport.h"
#include "tools/mcp/streamable_http_transport.h"

namespace xz::tools::mcp {

namespace asio = boost::asio;
using Json = nlohmann::json;

struct ServerMcpHub::Core final : McpToolBackend, std::enable_shared_from_this<Core> {
  Core(asio::any_io_executor ex, std::vector<McpServerSpec> servers, ServerMcpHubOptions o)
      : strand(asio::make_strand(ex)), opts(o), specs(std::move(servers)),
        http(std::make_shared<net::HttpClient>()) {}

  asio::any_io_executor executor() const override { return strand; }
  core::Task<ToolResult> call_tool(std::string server, std::string tool, Json arguments) override;

  McpTransportFactory transport_factory(const McpServerSpec& spec) const;
  void create_connectors();
  void publish();
  static core::Task<void> stop_all(std::shared_ptr<Core> self);

  asio::any_io_executor strand;
  ServerMcpHubOptions opts;
  std::vector<McpServerSpec> specs;
  std::shared_ptr<net::HttpClient> http;
  std::vector<std::shared_ptr<McpConnector>> connectors;  // as specs; used on the strand
  bool started = false;
  bool stopping = false;

  mutable std::mutex mu;  // guards what other threads read
  ToolList published = share_tools({});
  std::uint64_t version = 0;
  std::vector<McpServerStatus> statuses;
  std::vector<std::weak_ptr<std::function<void()>>> listeners;
};

McpTransportFactory ServerMcpHub::Core::transport_factory(const McpServerSpec& spec) const {
  auto ex = strand;
  auto client = http;
  auto grace = opts.exit_grace;
  return [spec, ex, client, grace]() -> std::shared_ptr<McpTransport> {
    switch (spec.transport) {
      case McpTransportKind::stdio: {
        StdioTransportOptions o;
        o.name = spec.name;
        o.child.command = spec.command;
        o.child.args = spec.args;
        o.child.env = spec.env;
        o.exit_grace = grace;
        return std::make_shared<StdioTransport>(ex, std::move(o));
      }
      case McpTransportKind::sse: {
        SseTransportOptions o;
        o.name = spec.name;
        o.url = spec.url;
        o.headers = spec.headers;
        o.timeout = spec.timeout;
        o.sse_read_timeout = spec.sse_read_timeout;
        return std::make_shared<SseTransport>(ex, client, std::move(o));
      }
      case McpTransportKind::streamable_http: {
        StreamableHttpOptions o;
        o.name = spec.name;
        o.url = spec.url;
        o.headers = spec.headers;
        o.timeout = spec.timeout;
        o.sse_read_timeout = spec.sse_read_timeout;
        return std::make_shared<StreamableHttpTransport>(ex, client, std::move(o));
      }
    }
    throw McpError("unknown MCP transport");
  };
}

void ServerMcpHub::Core::create_connectors() {
  for (const auto& spec : specs) {
    McpConnectorOptions co;
    co.session.label = fmt::format("MCP server '{}'", spec.name);
    co.session.request_timeout = opts.init_timeout;
    co.session.protocol_version =
        spec.transport == McpTransportKind::streamable_http ? "2025-03-26" : std::string(protocol::kMcpProtocolVersion);
    co.backoff_min = opts.backoff_min;
    co.backoff_max = opts.backoff_max;
    co.stable_after = opts.stable_after;
    auto c = McpConnector::create(strand, transport_factory(spec), std::move(co));
    std::weak_ptr<Core> weak = weak_from_this();
    c->set_change_handler([weak] {
      if (auto self = weak.lock()) self->publish();
    });
    connectors.push_back(std::move(c));
  }
}

// Rebuilds the shared tool list and status; on the strand.
void ServerMcpHub::Core::publish() {
  std::map<std::string, int> uses;
  for (const auto& c : connectors)
    for (const auto& t : c->tools()) ++uses[t.name];
  std::vector<ToolPtr> list;
  std::vector<McpServerStatus> snapshot;
  std::weak_ptr<McpToolBackend> backend = std::static_pointer_cast<McpToolBackend>(shared_from_this());
  for (std::size_t i = 0; i < connectors.size(); ++i) {
    const auto& c = connectors[i];
    const auto& spec = specs[i];
    for (const auto& t : c->tools()) {
      providers::ToolSchema schema;
      schema.name = uses[t.name] > 1 ? spec.name + "_" + t.name : t.name;
      schema.description = t.description;
      schema.parameters = t.input_schema;
      list.push_back(std::make_shared<McpRemoteTool>(std::move(schema), spec.name, t.name, backend));
    }
    McpServerStatus s;
    s.name = spec.name;
    s.transport = spec.transport;
    s.connected = c->connected();
    if (auto stdio = std::dynamic_pointer_cast<StdioTransport>(c->transport())) s.pid = stdio->pid();
    s.connects = c->connects();
    s.attempts = c->attempts();
    s.tools = c->tools().size();
    s.last_error = c->last_error();
    snapshot.push_back(std::move(s));
  }
  std::vector<std::shared_ptr<std::function<void()>>> notify;
  {
    std::lock_guard lk(mu);
    published = share_tools(std::move(list));
    statuses = std::move(snapshot);
    ++version;
    std::erase_if(listeners, [](const auto& w) { return w.expired(); });
    for (const auto& w : listeners)
      if (auto fn = w.lock()) notify.push_back(std::move(fn));
  }
  for (const auto& fn : notify) (*fn)();
}

core::Task<ToolResult> ServerMcpHub::Core::call_tool(std::string server, std::string tool, Json arguments) {
  std::shared_ptr<McpConnector> connector;
  for (std::size_t i = 0; i < specs.size() && i < connectors.size(); ++i)
    if (specs[i].name == server) connector = connectors[i];
  if (!connector || stopping)
    co_return tool_result_from_mcp_failure(fmt::format("MCP server '{}' is not available", server));
  try {
    auto outcome = co_await connector->call_tool(std::move(tool), std::move(arguments), opts.call_timeout);
    co_return tool_result_from_mcp(outcome);
  } catch (const McpError& e) {
    co_return tool_result_from_mcp_failure(e.what());
  }
}

core::Task<void> ServerMcpHub::Core::stop_all(std::shared_ptr<Core> self) {
  self->stopping = true;
  if (!self->connectors.empty()) {
    // In parallel: each may wait for a child to exit.
    auto left = std::make_shared<std::size_t>(self->connectors.size());
    auto all = std::make_shared<core::Event>(self->strand);
    for (auto& c : self->connectors) {
      asio::co_spawn(self->strand, c->stop(), [left, all](std::exception_ptr) {
        if (--*left == 0) all->set();
      });
    }
    co_await all->wait();
  }
  self->publish();
}

ServerMcpHub::ServerMcpHub(asio::any_io_executor ex, std::vector<McpServerSpec> servers, ServerMcpHubOptions opts)
    : core_(std::make_shared<Core>(std::move(ex), std::move(servers), opts)) {
  core_->create_connectors();
  for (const auto& spec : core_->specs) {
    McpServerStatus s;
    s.name = spec.name;
    s.transport = spec.transport;
    core_->statuses.push_back(std::move(s));
  }
}

ServerMcpHub::~ServerMcpHub() {
  if (!core_->started) return;
  asio::post(core_->strand, [core = core_] {
    if (core->stopping) return;
    core->stopping = true;
    for (auto& c : core->connectors) asio::co_spawn(core->strand, c->stop(), asio::detached);
  });
}

void ServerMcpHub::start() {
  if (core_->started) return;
  core_->started = true;
  for (const auto& spec : core_->specs)
    spdlog::info("MCP server '{}': starting ({})", spec.name,
                 spec.transport == McpTransportKind::stdio ? spec.command : spec.url);
  asio::post(core_->strand, [core = core_] {
    if (core->stopping) return;
    for (auto& c : core->connectors) c->start();
  });
}

core::Task<void> ServerMcpHub::shutdown() {
  auto core = core_;
  auto target = core->strand;
  auto task = Core::stop_all(core);
  co_await run_on(std::move(target), std::move(task));
}

std::size_t ServerMcpHub::server_count() const { return core_->specs.size(); }

ToolList ServerMcpHub::tools() const {
  std::lock_guard lk(core_->mu);
  return core_->published;
}

std::uint64_t ServerMcpHub::tools_version() const {
  std::lock_guard lk(core_->mu);
  return core_->version;
}

std::shared_ptr<void> ServerMcpHub::on_tools_changed(std::function<void()> fn) {
  auto holder = std::make_shared<std::function<void()>>(std::move(fn));
  std::lock_guard lk(core_->mu);
  core_->listeners.push_back(holder);
  return holder;
}

std::vector<McpServerStatus> ServerMcpHub::status() const {
  std::lock_guard lk(core_->mu);
  return core_->statuses;
}

}  // namespace xz::tools::mcp
