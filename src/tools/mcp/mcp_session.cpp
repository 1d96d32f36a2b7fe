#include "tools/mcp/mcp_session.h"

#include <climits>
#include <set>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "tools/mcp/deadline.h"

namespace xz::tools::mcp {

namespace asio = boost::asio;
using Json = nlohmann::json;

namespace {

// JSON-RPC "method not found".
constexpr int kMethodNotFound = -32601;

Json request_message(int id, const std::string& method, Json params) {
  Json m = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) m["params"] = std::move(params);
  return m;
}

}  // namespace

std::shared_ptr<McpSession> McpSession::create(asio::any_io_executor ex, std::shared_ptr<McpTransport> transport,
                                               McpSessionOptions opts) {
  return std::shared_ptr<McpSession>(new McpSession(std::move(ex), std::move(transport), std::move(opts)));
}

McpSession::McpSession(asio::any_io_executor ex, std::shared_ptr<McpTransport> transport, McpSessionOptions opts)
    : ex_(std::move(ex)), transport_(std::move(transport)), opts_(std::move(opts)) {}

int McpSession::next_id() {
  // Unique among the requests in flight, even after wrapping around.
  for (;;) {
    int id = next_id_;
    next_id_ = next_id_ == INT_MAX ? 1 : next_id_ + 1;
    if (!pending_.count(id)) return id;
  }
}

core::Task<void> McpSession::start() {
  if (open_ || closed_) throw McpError(fmt::format("{}: start() called twice", opts_.label));
  std::weak_ptr<McpSession> weak = weak_from_this();
  McpTransportHandlers handlers;
  handlers.on_message = [weak](Json m) {
    if (auto s = weak.lock()) s->on_message(std::move(m));
  };
  handlers.on_closed = [weak](std::string reason) {
    if (auto s = weak.lock()) s->on_transport_closed(std::move(reason));
  };
  co_await transport_->open(std::move(handlers));
  open_ = true;
  std::exception_ptr failed;
  try {
    co_await initialize();
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) {
    // Also when start() itself was cancelled: the child must still be terminated.
    co_await asio::this_coro::reset_cancellation_state();
    co_await close();
    std::rethrow_exception(failed);
  }
}

core::Task<void> McpSession::initialize() {
  const int id = next_id();
  // Sent once, then not kept: thousands of device sessions would each hold a copy.
  Json capabilities = opts_.capabilities.is_object() ? std::move(opts_.capabilities) : Json::object();
  opts_.capabilities = nullptr;
  Json params = {{"protocolVersion", opts_.protocol_version},
                 {"capabilities", std::move(capabilities)},
                 {"clientInfo", {{"name", opts_.client_name}, {"version", opts_.client_version}}}};
  Json message = request_message(id, "initialize", std::move(params));
  std::string what = "initialize";
  auto reply = co_await exchange(std::move(message), id, std::move(what), opts_.request_timeout);
  if (reply.is_error) throw McpError(fmt::format("{}: initialize failed: {}", opts_.label, reply.error_message));
  const Json& r = reply.result;
  auto version = r.is_object() ? r.find("protocolVersion") : r.end();
  if (!r.is_object() || version == r.end() || !version->is_string())
    throw McpError(fmt::format("{}: the initialize answer has no protocolVersion", opts_.label));
  protocol_version_ = version->get<std::string>();
  if (auto info = r.find("serverInfo"); info != r.end() && info->is_object()) server_info_ = *info;
  auto caps = r.find("capabilities");
  const bool offers_tools = caps != r.end() && caps->is_object() && caps->contains("tools");
  if (protocol_version_ != opts_.protocol_version)
    spdlog::info("{}: speaks protocol {} (asked for {})", opts_.label, protocol_version_, opts_.protocol_version);
  transport_->initialized(protocol_version_);
  Json note = protocol::mcp_initialized_notification();
  co_await transport_->send(std::move(note));
  initialized_ = true;
  if (!offers_tools) {
    spdlog::info("{}: offers no tools", opts_.label);
    co_return;
  }
  refresh_requested_ = false;
  co_await refresh_tools();
  if (refresh_requested_) schedule_refresh();  // the list changed while we read it
}

core::Task<protocol::McpReply> McpSession::exchange(Json message, int id, std::string what,
                                                    std::chrono::milliseconds timeout) {
  if (!open_) {
    throw McpError(close_reason_.empty() ? fmt::format("{}: not connected", opts_.label)
                                         : fmt::format("{}: not connected ({})", opts_.label, close_reason_));
  }
  if (pending_.size() >= opts_.max_pending)
    throw McpError(fmt::format("{}: {} requests already in flight", opts_.label, pending_.size()));
  auto p = std::make_shared<Pending>(ex_);
  pending_.emplace(id, p);
  bool in_time = false;
  try {
    in_time = co_await within(send_and_wait(transport_, p, std::move(message)), timeout);
  } catch (...) {
    pending_.erase(id);
    throw;
  }
  pending_.erase(id);
  if (p->reply) co_return std::move(*p->reply);
  if (!p->failure.empty()) throw McpError(p->failure);
  if (!in_time && what != "initialize") {
    // Tell the server to stop working on it (it may still answer; that is ignored).
    Json cancel = {{"jsonrpc", "2.0"},
                   {"method", "notifications/cancelled"},
                   {"params", {{"requestId", id}, {"reason", "timed out"}}}};
    asio::co_spawn(ex_, send_detached(shared_from_this(), std::move(cancel)), asio::detached);
  }
  throw McpError(fmt::format("{}: {} timed out after {} ms", opts_.label, what, timeout.count()));
}

core::Task<void> McpSession::send_and_wait(std::shared_ptr<McpTransport> transport, std::shared_ptr<Pending> p,
                                           Json message) {
  try {
    co_await transport->send(std::move(message));
  } catch (const McpError& e) {
    if (!p->reply && p->failure.empty()) p->failure = e.what();
    co_return;
  }
  if (p->reply || !p->failure.empty()) co_return;
  const bool answered = co_await p->done.wait();
  if (!answered) throw boost::system::system_error(asio::error::operation_aborted);
}

core::Task<void> McpSession::send_detached(std::shared_ptr<McpSession> self, Json message) {
  try {
    co_await self->transport_->send(std::move(message));
  } catch (const std::exception& e) {
    spdlog::debug("{}: could not send a message: {}", self->opts_.label, e.what());
  }
}

core::Task<protocol::McpCallOutcome> McpSession::call_tool(std::string name, Json arguments,
                                                           std::chrono::milliseconds timeout) {
  const int id = next_id();
  Json message;
  try {
    message = protocol::mcp_tools_call(id, name, arguments);
  } catch (const std::invalid_argument& e) {
    throw McpError(fmt::format("{}: {}: {}", opts_.label, name, e.what()));
  }
  std::string what = "tools/call " + name;
  auto reply = co_await exchange(std::move(message), id, std::move(what), timeout);
  co_return protocol::parse_tool_call_result(reply);
}

core::Task<Json> McpSession::request(std::string method, Json params, std::chrono::milliseconds timeout) {
  const int id = next_id();
  Json message = request_message(id, method, std::move(params));
  std::string what = method;
  auto reply = co_await exchange(std::move(message), id, std::move(what), timeout);
  if (reply.is_error) throw McpError(fmt::format("{}: {} failed: {}", opts_.label, method, reply.error_message));
  co_return std::move(reply.result);
}

core::Task<void> McpSession::refresh_tools() {
  std::vector<protocol::McpTool> all;
  std::set<std::string> names;
  std::set<std::string> cursors;
  std::string cursor;
  for (std::size_t page = 0;; ++page) {
    if (page >= opts_.max_pages) {
      spdlog::warn("{}: tools/list has more than {} pages; using the first ones", opts_.label, opts_.max_pages);
      break;
    }
    const int id = next_id();
    Json message = protocol::mcp_tools_list(id, cursor, opts_.with_user_tools);
    if (cursor.empty() && !opts_.with_user_tools) message.erase("params");
    std::string what = "tools/list";
    auto reply = co_await exchange(std::move(message), id, std::move(what), opts_.request_timeout);
    if (reply.is_error) throw McpError(fmt::format("{}: tools/list failed: {}", opts_.label, reply.error_message));
    std::string next;
    bool left_over = false;  // this page had more than the limit takes
    for (auto& tool : protocol::parse_tools_list(reply.result, &next)) {
      if (all.size() >= opts_.max_tools) {
        left_over = true;
        break;
      }
      if (!names.insert(tool.name).second) continue;  // a name listed twice: the first one counts
      all.push_back(std::move(tool));
    }
    if (all.size() >= opts_.max_tools && (left_over || !next.empty())) {
      spdlog::warn("{}: more than {} tools; using the first ones", opts_.label, opts_.max_tools);
      break;
    }
    if (next.empty()) break;
    if (!cursors.insert(next).second) {
      spdlog::warn("{}: tools/list repeats cursor '{}'; stopping there", opts_.label, next);
      break;
    }
    cursor = std::move(next);
  }
  tools_ = opts_.keep_tools ? opts_.keep_tools(std::move(all))
                            : std::make_shared<const std::vector<protocol::McpTool>>(std::move(all));
  spdlog::debug("{}: {} tools", opts_.label, tools_->size());
}

void McpSession::schedule_refresh() {
  refresh_requested_ = true;
  if (!initialized_ || refreshing_ || !open_) return;
  refreshing_ = true;
  asio::co_spawn(ex_, refresh_loop(shared_from_this()), asio::detached);
}

core::Task<void> McpSession::refresh_loop(std::shared_ptr<McpSession> self) {
  while (self->refresh_requested_ && self->open_) {
    self->refresh_requested_ = false;
    try {
      co_await self->refresh_tools();
      spdlog::info("{}: tool list changed; now {} tools", self->opts_.label, self->tools_->size());
      if (self->tools_changed_) {
        auto fn = self->tools_changed_;  // the handler may replace itself
        fn();
      }
    } catch (const std::exception& e) {
      spdlog::warn("{}: refreshing the tool list failed: {}", self->opts_.label, e.what());
    }
  }
  self->refreshing_ = false;
}

void McpSession::on_message(Json message) {
  // Each message of a batch on its own: one that cannot be handled costs itself only.
  const auto handle = [this](const Json& m) {
    try {
      on_one_message(m);
    } catch (const std::exception& e) {
      spdlog::warn("{}: ignoring a message that could not be handled: {}", opts_.label, e.what());
    }
  };
  if (message.is_array()) {  // a JSON-RPC batch
    for (const auto& m : message) handle(m);
    return;
  }
  handle(message);
}

void McpSession::on_one_message(const Json& m) {
  if (!m.is_object()) {
    spdlog::warn("{}: ignoring a message that is not an object", opts_.label);
    return;
  }
  if (auto method = m.find("method"); method != m.end()) {
    const std::string name = method->is_string() ? method->get<std::string>() : std::string();
    auto id = m.find("id");
    if (id != m.end() && !id->is_null()) {
      // A request from the server. We offer no sampling, roots or elicitation.
      Json answer = {{"jsonrpc", "2.0"}, {"id", *id}};
      if (name == "ping") {
        answer["result"] = Json::object();
      } else {
        spdlog::info("{}: declining the server's request '{}'", opts_.label, name);
        answer["error"] = {{"code", kMethodNotFound}, {"message", "Method not found: " + name}};
      }
      asio::co_spawn(ex_, send_detached(shared_from_this(), std::move(answer)), asio::detached);
      return;
    }
    auto params = m.find("params");
    on_notification(name, params == m.end() ? Json() : *params);
    return;
  }
  std::string error;
  auto reply = protocol::parse_mcp_reply(m, &error);
  if (!reply) {
    spdlog::warn("{}: ignoring a malformed message: {}", opts_.label, error);
    return;
  }
  if (!reply->id) {
    spdlog::warn("{}: error without a request id: {}", opts_.label, reply->error_message);
    return;
  }
  auto it = pending_.find(*reply->id);
  if (it == pending_.end()) {
    spdlog::debug("{}: answer to request {} that is no longer waited for", opts_.label, *reply->id);
    return;
  }
  if (it->second->reply || !it->second->failure.empty()) return;
  it->second->reply = std::move(*reply);
  it->second->done.set();
}

void McpSession::on_notification(const std::string& method, const Json& params) {
  if (method == "notifications/tools/list_changed") {
    schedule_refresh();
  } else if (method == "notifications/message") {
    std::string level = "info";
    if (auto l = params.find("level"); l != params.end() && l->is_string())  // find: end() unless an object
      level = l->get<std::string>();
    std::string data = params.is_object() && params.contains("data")
                           ? params["data"].dump(-1, ' ', false, Json::error_handler_t::replace)
                           : std::string();
    spdlog::info("{} says ({}): {:.500}", opts_.label, level, data);
  } else {
    spdlog::debug("{}: notification {}", opts_.label, method);
  }
}

void McpSession::fail_pending(const std::string& why) {
  for (auto& [id, p] : pending_) {
    if (p->reply || !p->failure.empty()) continue;
    p->failure = why;
    p->done.set();
  }
}

void McpSession::on_transport_closed(std::string reason) {
  if (!open_) return;
  open_ = false;
  close_reason_ = reason;
  fail_pending(fmt::format("{}: connection lost ({})", opts_.label, reason));
  if (closed_handler_) {
    auto fn = std::move(closed_handler_);
    closed_handler_ = {};
    fn(reason);
  }
}

core::Task<void> McpSession::close() {
  if (closed_) co_return;
  closed_ = true;
  open_ = false;
  if (close_reason_.empty()) close_reason_ = "closed";
  closed_handler_ = {};
  tools_changed_ = {};
  fail_pending(fmt::format("{}: session closed", opts_.label));
  co_await transport_->close();
}

}  // namespace xz::tools::mcp
