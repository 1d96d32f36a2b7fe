#include "pipeline/device_mcp.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "protocol/server_messages.h"
#include "tools/mcp/mcp_session.h"
#include "tools/mcp/mcp_tool_result.h"
#include "tools/mcp/shared_tool_lists.h"
#include "tools/mcp/mcp_transport.h"

namespace xz::pipeline {

namespace asio = boost::asio;
using Json = nlohmann::json;
using tools::mcp::McpError;

namespace {

// JSON-RPC over the device's session link: each message travels as an "mcp" message.
class DeviceLinkTransport final : public tools::mcp::McpTransport {
 public:
  DeviceLinkTransport(session::DeviceLink& link, std::string session_id)
      : link_(link), session_id_(std::move(session_id)) {}

  asio::awaitable<void> open(tools::mcp::McpTransportHandlers handlers) override {
    handlers_ = std::move(handlers);
    open_ = true;
    co_return;
  }
  asio::awaitable<void> send(Json message) override {
    if (!open_ || !link_.send_text(protocol::make_mcp(session_id_, message)))
      throw McpError("device MCP: the device connection is closed");
    co_return;
  }
  asio::awaitable<void> close() override {
    open_ = false;
    co_return;
  }
  std::string describe() const override { return "device session " + session_id_; }

  void deliver(const Json& payload) {
    if (open_ && handlers_.on_message) handlers_.on_message(payload);
  }

 private:
  session::DeviceLink& link_;
  std::string session_id_;
  tools::mcp::McpTransportHandlers handlers_;
  bool open_ = false;
};

}  // namespace

struct DeviceMcp::Core final {
  Core(asio::any_io_executor e, std::shared_ptr<DeviceLinkTransport> t, DeviceMcpOptions o, const core::SessionLog& l)
      : ex(std::move(e)), transport(std::move(t)), opts(std::move(o)), log(l) {}

  core::Task<protocol::McpCallOutcome> call(std::string name, Json arguments) {
    if (!session || !ready) throw McpError("device MCP: the device's tools are not ready");
    auto s = session;  // close() may reset the member meanwhile
    co_return co_await s->call_tool(std::move(name), std::move(arguments), opts.call_timeout);
  }

  // The McpSession's keep_tools: the list is kept once, shared when possible. (The
  // session already stopped at max_tools.)
  std::shared_ptr<const std::vector<protocol::McpTool>> keep(std::vector<protocol::McpTool> tools) {
    const std::size_t listed = tools.size();
    std::erase_if(tools, [this](const protocol::McpTool& t) {
      return t.name.size() + t.description.size() + t.input_schema.dump().size() > opts.max_tool_bytes;
    });
    if (tools.size() < listed)
      log.warn("device MCP: {} tool(s) larger than {} bytes dropped", listed - tools.size(), opts.max_tool_bytes);
    list = opts.shared_lists ? opts.shared_lists->share(std::move(tools)) : tools::mcp::make_tool_list(std::move(tools));
    return {list, &list->all};
  }

  // The list's tools run through the session that calls them (Conversation::run_device_tool),
  // so the session offers the shared list itself.
  void publish() {
    if (!session || !list) return;
    log.info("device MCP: {} tool(s) for the LLM, {} for the user only", list->for_llm.size(),
             list->all.size() - list->for_llm.size());
    if (on_tools) on_tools(tools::ToolList(list, &list->for_llm));
  }

  static asio::awaitable<void> run(std::shared_ptr<Core> self) {
    // The coroutine owns the session while it starts: close() may drop the member meanwhile.
    auto session = self->session;
    try {
      co_await session->start();
      if (self->closed) co_return;
      self->ready = true;
      self->publish();
    } catch (const std::exception& e) {
      if (!self->closed) self->log.warn("device MCP: {}", e.what());
    }
  }

  asio::any_io_executor ex;
  std::shared_ptr<DeviceLinkTransport> transport;
  DeviceMcpOptions opts;
  const core::SessionLog& log;
  std::shared_ptr<tools::mcp::McpSession> session;
  std::shared_ptr<const tools::mcp::SharedToolList> list;  // the device's tools, once listed
  std::function<void(tools::ToolList)> on_tools;
  bool ready = false;
  bool closed = false;
};

DeviceMcp::DeviceMcp(asio::any_io_executor ex, session::DeviceLink& link, std::string session_id,
                     DeviceMcpOptions opts, const core::SessionLog& log)
    : core_(std::make_shared<Core>(ex, std::make_shared<DeviceLinkTransport>(link, std::move(session_id)),
                                   std::move(opts), log)) {}

DeviceMcp::~DeviceMcp() {
  core_->closed = true;
  core_->on_tools = nullptr;
}

void DeviceMcp::start(std::function<void(tools::ToolList)> on_tools) {
  if (core_->session) return;
  core_->on_tools = std::move(on_tools);
  tools::mcp::McpSessionOptions o;
  o.label = "device MCP";
  o.request_timeout = core_->opts.init_timeout;
  o.capabilities = std::move(core_->opts.capabilities);  // used once, by initialize
  o.with_user_tools = true;
  o.max_pending = 64;
  o.max_tools = core_->opts.max_tools;
  std::weak_ptr<Core> owner = core_;
  o.keep_tools = [owner](std::vector<protocol::McpTool> tools) -> std::shared_ptr<const std::vector<protocol::McpTool>> {
    if (auto c = owner.lock()) return c->keep(std::move(tools));
    return std::make_shared<const std::vector<protocol::McpTool>>(std::move(tools));
  };
  core_->session = tools::mcp::McpSession::create(core_->ex, core_->transport, std::move(o));
  std::weak_ptr<Core> weak = core_;
  core_->session->set_tools_changed_handler([weak] {
    if (auto c = weak.lock(); c && !c->closed) c->publish();
  });
  asio::co_spawn(core_->ex, Core::run(core_), asio::detached);
}

void DeviceMcp::on_message(const Json& payload) { core_->transport->deliver(payload); }

core::Task<protocol::McpCallOutcome> DeviceMcp::call(std::string name, Json arguments) {
  auto c = core_;
  co_return co_await c->call(std::move(name), std::move(arguments));
}

core::Task<tools::ToolResult> DeviceMcp::run_tool(std::string name, Json arguments) {
  try {
    auto outcome = co_await call(std::move(name), std::move(arguments));
    co_return tools::mcp::tool_result_from_mcp(outcome);
  } catch (const McpError& e) {
    co_return tools::mcp::tool_result_from_mcp_failure(e.what());
  }
}

std::vector<protocol::McpTool> DeviceMcp::tools() const {
  return core_->list ? core_->list->all : std::vector<protocol::McpTool>{};
}
bool DeviceMcp::ready() const { return core_->ready; }

core::Task<void> DeviceMcp::close() {
  auto c = core_;
  c->closed = true;
  c->ready = false;
  c->on_tools = nullptr;
  if (auto s = std::exchange(c->session, nullptr)) co_await s->close();
}

}  // namespace xz::pipeline
