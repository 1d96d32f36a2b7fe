#include "tools/mcp/stdio_transport.h"

#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/unique_fd.h"
#include "protocol/json_text.h"
#include "tools/mcp/deadline.h"
#include "tools/mcp/line_splitter.h"

namespace xz::tools::mcp {

namespace asio = boost::asio;
using Json = nlohmann::json;

namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxStderrLine = 2048;
}  // namespace

StdioTransport::StdioTransport(asio::any_io_executor ex, StdioTransportOptions opts)
    : ex_(ex), opts_(std::move(opts)), in_(ex), out_(ex), err_(ex), exited_(ex), stdout_done_(ex) {
  opts_.child.inherit.push_back("TERM");
}

std::string StdioTransport::describe() const {
  std::string s = "stdio: " + opts_.child.command;
  for (const auto& a : opts_.child.args) s += " " + a;
  return s;
}

std::optional<int> StdioTransport::pid() const {
  if (!child_ || child_->status()) return std::nullopt;
  return child_->pid();
}

asio::awaitable<void> StdioTransport::open(McpTransportHandlers handlers) {
  if (child_) throw McpError(fmt::format("MCP server '{}': already started", opts_.name));
  handlers_ = std::move(handlers);
  try {
    int in_pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0)
      throw std::runtime_error(fmt::format("socketpair: {}", std::strerror(errno)));
    core::UniqueFd in_ours(in_pair[0]), in_child(in_pair[1]);
    core::PipeFds out = core::make_pipe(), err = core::make_pipe();
    child_ = std::make_unique<core::ChildProcess>(ex_, opts_.child,
                                                  core::ChildStdio{in_child.get(), out.write.get(), err.write.get()});
    in_.assign(asio::local::stream_protocol(), in_ours.release());
    out_.assign(out.read.release());
    err_.assign(err.read.release());
  } catch (const std::exception& e) {
    child_.reset();
    throw McpError(fmt::format("MCP server '{}': {}", opts_.name, e.what()));
  }
  spdlog::info("mcp[{}]: started '{}' (pid {})", opts_.name, describe(), child_->pid());
  auto self = shared_from_this();
  asio::co_spawn(ex_, read_stdout(self), asio::detached);
  asio::co_spawn(ex_, read_stderr(self), asio::detached);
  asio::co_spawn(ex_, watch_exit(self), asio::detached);
  co_return;
}

core::Task<void> StdioTransport::read_stdout(std::shared_ptr<StdioTransport> self) {
  LineSplitter lines(self->opts_.max_message_bytes, LineSplitter::Overflow::drop);
  std::string buf(kReadChunk, '\0');
  for (;;) {
    auto [ec, n] = co_await self->out_.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    if (n > 0) {
      const std::size_t before = lines.overlong_lines();
      for (auto& line : lines.feed(std::string_view(buf.data(), n))) {
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        Json msg = protocol::parse_json_text(line);
        if (msg.is_discarded()) {
          // Some servers print banners to stdout; they are not protocol messages.
          spdlog::warn("mcp[{}]: ignoring a stdout line that is not JSON: {:.200}", self->opts_.name, line);
          continue;
        }
        if (!self->closing_) deliver_message(self->handlers_, std::move(msg), self->opts_.name);
      }
      if (lines.overlong_lines() != before)
        spdlog::warn("mcp[{}]: skipped a message larger than {} bytes", self->opts_.name, self->opts_.max_message_bytes);
    }
    if (ec) break;
  }
  // A last message without its newline is still a message.
  if (auto rest = lines.finish(); !rest.empty() && !self->closing_) {
    Json msg = protocol::parse_json_text(rest);
    if (!msg.is_discarded()) deliver_message(self->handlers_, std::move(msg), self->opts_.name);
  }
  self->stdout_done_.set();
  // A server that closed its stdout can no longer answer: make it exit.
  if (!self->exited_.is_set() && !self->stopping_) co_await stop_child(self);
}

core::Task<void> StdioTransport::read_stderr(std::shared_ptr<StdioTransport> self) {
  LineSplitter lines(kMaxStderrLine, LineSplitter::Overflow::truncate);
  std::string buf(16 * 1024, '\0');
  for (;;) {
    auto [ec, n] = co_await self->err_.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    if (n > 0) {
      for (const auto& line : lines.feed(std::string_view(buf.data(), n))) {
        if (!line.empty()) spdlog::info("mcp[{}] stderr: {}", self->opts_.name, line);
      }
    }
    if (ec) break;
  }
  if (auto rest = lines.finish(); !rest.empty()) spdlog::info("mcp[{}] stderr: {}", self->opts_.name, rest);
}

core::Task<void> StdioTransport::watch_exit(std::shared_ptr<StdioTransport> self) {
  int status = co_await self->child_->wait_exit();
  self->exited_.set();
  // Answers written just before exiting are still in the pipe: deliver them first.
  co_await within(self->stdout_done_.wait(), std::chrono::seconds(1));
  std::string reason =
      fmt::format("process {} ended with {}", self->child_->pid(), core::describe_wait_status(status));
  if (self->closing_) {
    spdlog::info("mcp[{}]: {}", self->opts_.name, reason);
    co_return;
  }
  spdlog::warn("mcp[{}]: {}", self->opts_.name, reason);
  if (self->handlers_.on_closed) {
    auto on_closed = std::move(self->handlers_.on_closed);
    self->handlers_ = {};
    on_closed(std::move(reason));
  }
}

core::Task<void> StdioTransport::stop_child(std::shared_ptr<StdioTransport> self) {
  if (self->stopping_ || !self->child_) co_return;
  self->stopping_ = true;
  boost::system::error_code ignored;
  self->in_.close(ignored);  // EOF on its stdin: the polite way to ask
  const auto grace = self->opts_.exit_grace;
  const auto polite = co_await within(self->exited_.wait(), grace);
  if (polite) co_return;
  spdlog::info("mcp[{}]: process {} did not exit after stdin closed; sending SIGTERM", self->opts_.name,
               self->child_->pid());
  self->child_->signal(SIGTERM);
  const auto terminated = co_await within(self->exited_.wait(), grace);
  if (terminated) co_return;
  spdlog::warn("mcp[{}]: process {} ignored SIGTERM; sending SIGKILL", self->opts_.name, self->child_->pid());
  self->child_->signal(SIGKILL);
  co_await self->exited_.wait();
}

asio::awaitable<void> StdioTransport::send(Json message) {
  if (!child_ || closing_ || stopping_ || exited_.is_set())
    throw McpError(fmt::format("MCP server '{}' is not running", opts_.name));
  if (!write_error_.empty())
    throw McpError(fmt::format("MCP server '{}': cannot write to its stdin: {}", opts_.name, write_error_));
  std::string line = message.dump(-1, ' ', false, Json::error_handler_t::replace);
  line.push_back('\n');
  if (queued_bytes_ + line.size() > opts_.max_queued_bytes)
    throw McpError(fmt::format("MCP server '{}' is not reading its stdin ({} bytes queued)", opts_.name, queued_bytes_));
  queued_bytes_ += line.size();
  queue_.push_back(std::move(line));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(ex_, write_queue(shared_from_this()), asio::detached);
  }
  co_return;
}

core::Task<void> StdioTransport::write_queue(std::shared_ptr<StdioTransport> self) {
  while (!self->queue_.empty()) {
    auto [ec, n] = co_await asio::async_write(self->in_, asio::buffer(self->queue_.front()),
                                              asio::as_tuple(asio::use_awaitable));
    self->queued_bytes_ -= self->queue_.front().size();
    self->queue_.pop_front();
    if (ec) {
      self->write_error_ = ec.message();
      self->queue_.clear();
      self->queued_bytes_ = 0;
      break;
    }
  }
  self->writing_ = false;
}

asio::awaitable<void> StdioTransport::close() {
  if (!child_ || closing_) co_return;
  closing_ = true;
  handlers_ = {};
  auto self = shared_from_this();
  if (!exited_.is_set()) {
    if (stopping_) {
      co_await exited_.wait();
    } else {
      co_await stop_child(self);
    }
  }
  boost::system::error_code ignored;
  out_.close(ignored);
  err_.close(ignored);
}

}  // namespace xz::tools::mcp
