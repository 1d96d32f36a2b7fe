#include "tools/mcp/mcp_connector.h"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "tools/mcp/deadline.h"

namespace xz::tools::mcp {

namespace asio = boost::asio;

std::shared_ptr<McpConnector> McpConnector::create(asio::any_io_executor ex, McpTransportFactory make_transport,
                                                   McpConnectorOptions opts) {
  return std::shared_ptr<McpConnector>(new McpConnector(std::move(ex), std::move(make_transport), std::move(opts)));
}

McpConnector::McpConnector(asio::any_io_executor ex, McpTransportFactory make_transport, McpConnectorOptions opts)
    : ex_(ex), make_transport_(std::move(make_transport)), opts_(std::move(opts)), stop_(ex), done_(ex) {}

const std::vector<protocol::McpTool>& McpConnector::tools() const {
  static const std::vector<protocol::McpTool> none;
  return session_ ? session_->tools() : none;
}

void McpConnector::changed() {
  if (on_change_) {
    auto fn = on_change_;  // the handler may replace itself
    fn();
  }
}

void McpConnector::start() {
  if (started_) return;
  started_ = true;
  asio::co_spawn(ex_, run(shared_from_this()), asio::detached);
}

core::Task<void> McpConnector::run(std::shared_ptr<McpConnector> self) {
  auto delay = self->opts_.backoff_min;
  while (!self->stop_.is_set()) {
    const auto began = core::Clock::now();
    co_await self->attempt();
    if (self->stop_.is_set()) break;
    if (core::Clock::now() - began >= self->opts_.stable_after) delay = self->opts_.backoff_min;
    spdlog::warn("{}; reconnecting in {} ms", self->last_error_, delay.count());
    co_await unless_stopped(core::sleep_for(delay), self->stop_);
    delay = std::min(delay * 2, self->opts_.backoff_max);
  }
  self->done_.set();
}

// One connection, from connecting to its end; never throws.
core::Task<void> McpConnector::attempt() {
  ++attempts_;
  transport_ = make_transport_();
  auto session = McpSession::create(ex_, transport_, opts_.session);
  auto lost = std::make_shared<core::Event>(ex_);
  session->set_closed_handler([lost](const std::string&) { lost->set(); });
  std::weak_ptr<McpConnector> weak = weak_from_this();
  std::weak_ptr<McpSession> weak_session = session;
  session->set_tools_changed_handler([weak, weak_session] {
    auto self = weak.lock();
    if (self && self->session_ && self->session_ == weak_session.lock()) self->changed();
  });

  std::string error;
  bool up = false;
  try {
    auto started = co_await unless_stopped(session->start(), stop_);
    up = started;
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (up) {
    ++connects_;
    last_error_.clear();
    session_ = session;
    spdlog::info("{}: connected ({}, protocol {}, {} tools)", label(), transport_->describe(),
                 session->protocol_version(), session->tools().size());
    changed();
    co_await unless_stopped(lost->wait(), stop_);
    error = fmt::format("{}: connection lost ({})", label(), session->close_reason());
    session_.reset();
    changed();
  }
  co_await session->close();  // terminates a child that still runs
  if (stop_.is_set()) co_return;
  last_error_ = error.empty() ? fmt::format("{}: connection failed", label()) : error;
  if (!up) changed();  // status watchers see the failed attempt
}

core::Task<void> McpConnector::stop() {
  stop_.set();
  if (started_) co_await done_.wait();
}

core::Task<protocol::McpCallOutcome> McpConnector::call_tool(std::string name, nlohmann::json arguments,
                                                             std::chrono::milliseconds timeout) {
  auto session = session_;
  if (!session || !session->is_open()) {
    throw McpError(last_error_.empty() ? fmt::format("{} is not connected", label())
                                       : fmt::format("{} is not connected ({})", label(), last_error_));
  }
  co_return co_await session->call_tool(std::move(name), std::move(arguments), timeout);
}

}  // namespace xz::tools::mcp
