#include "tools/mcp/websocket_transport.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "protocol/json_text.h"

namespace xz::tools::mcp {

namespace asio = boost::asio;
using Json = nlohmann::json;

std::string url_without_query(const std::string& url) { return url.substr(0, url.find('?')); }

WebSocketTransport::WebSocketTransport(asio::any_io_executor ex, WebSocketTransportOptions opts)
    : ex_(ex), opts_(std::move(opts)) {}

std::string WebSocketTransport::describe() const { return url_without_query(opts_.url); }

asio::awaitable<void> WebSocketTransport::open(McpTransportHandlers handlers) {
  if (ws_) throw McpError(fmt::format("MCP {}: already open", opts_.name));
  net::WsClientOptions wo;
  wo.headers = opts_.headers;
  wo.max_message_bytes = opts_.max_message_bytes;
  wo.tls_context = opts_.tls_context;
  try {
    ws_ = co_await net::ws_connect(opts_.url, std::move(wo));
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) throw;
    throw McpError(fmt::format("MCP {}: cannot connect to {}: {}", opts_.name, describe(), e.code().message()));
  } catch (const std::runtime_error& e) {
    throw McpError(fmt::format("MCP {}: cannot connect to {}: {}", opts_.name, describe(), e.what()));
  }
  handlers_ = std::move(handlers);
  asio::co_spawn(ex_, read_loop(shared_from_this()), asio::detached);
}

core::Task<void> WebSocketTransport::read_loop(std::shared_ptr<WebSocketTransport> self) {
  auto ws = self->ws_;
  for (;;) {
    auto msg = co_await ws->read();
    if (!msg) break;
    if (msg->oversize) {
      spdlog::warn("mcp[{}]: skipped a message of {} bytes (limit {})", self->opts_.name, msg->size,
                   self->opts_.max_message_bytes);
      continue;
    }
    Json j = protocol::parse_json_text(msg->data);
    if (j.is_discarded()) {
      spdlog::warn("mcp[{}]: message is not JSON: {:.200}", self->opts_.name, msg->data);
      continue;
    }
    if (!self->closed_) deliver_message(self->handlers_, std::move(j), self->opts_.name);
  }
  if (self->closed_) co_return;
  self->closed_ = true;
  auto on_closed = std::move(self->handlers_.on_closed);
  self->handlers_ = {};
  const char* why = ws->last_read_error() == net::WsReadError::protocol ? "WebSocket protocol error"
                    : ws->last_read_error() == net::WsReadError::timeout ? "WebSocket timed out"
                                                                          : "WebSocket closed";
  spdlog::info("mcp[{}]: {}", self->opts_.name, why);
  if (on_closed) on_closed(why);
}

asio::awaitable<void> WebSocketTransport::send(Json message) {
  if (!ws_ || closed_ || !ws_->is_open()) throw McpError(fmt::format("MCP {}: not connected", opts_.name));
  if (!ws_->send_text(message.dump(-1, ' ', false, Json::error_handler_t::replace)))
    throw McpError(fmt::format("MCP {}: the connection is closed or not reading", opts_.name));
  co_return;
}

asio::awaitable<void> WebSocketTransport::close() {
  if (closed_) co_return;
  closed_ = true;
  handlers_ = {};
  if (ws_) ws_->close("bye");
  co_return;
}

}  // namespace xz::tools::mcp
