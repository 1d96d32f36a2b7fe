#include "tools/tool_runner.h"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/async.h"
#include "protocol/json_text.h"

namespace xz::tools {

namespace asio = boost::asio;

namespace {

// Shared by the call coroutines and the waiter; outlives a cancelled turn.
struct Round {
  explicit Round(asio::any_io_executor ex, std::size_t n) : done(ex), outcomes(n), cancel(n), left(n) {}
  core::Event done;
  std::vector<ToolOutcome> outcomes;
  std::vector<asio::cancellation_signal> cancel;
  std::size_t left;
};

asio::awaitable<ToolResult> invoke(ToolPtr tool, nlohmann::json args, SessionActions& session) {
  co_return co_await tool->call(std::move(args), session);
}

asio::awaitable<void> run_one(std::shared_ptr<Round> round, std::size_t i, ToolPtr tool, SessionActions& session,
                              std::chrono::milliseconds timeout) {
  auto& out = round->outcomes[i];
  auto t0 = core::Clock::now();
  if (!tool) {
    out.result = {Action::not_found, "error: no tool named " + out.call.name, kToolFailedResponse};
  } else {
    nlohmann::json args = protocol::parse_json_text(out.call.arguments.empty() ? "{}" : out.call.arguments);
    if (args.is_discarded() || !args.is_object()) {
      out.result = {Action::reqllm, "error: the arguments are not a JSON object: " + out.call.arguments, {}};
    } else {
      try {
        auto r = co_await core::with_timeout(invoke(tool, std::move(args), session), timeout);
        if (r)
          out.result = std::move(*r);
        else
          out.result = {Action::error, "error: timed out after " + std::to_string(timeout.count()) + " ms",
                        kToolFailedResponse};
      } catch (const std::exception& e) {
        out.result = {Action::error, std::string("error: ") + e.what(), kToolFailedResponse};
      }
    }
  }
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(core::Clock::now() - t0);
  if (--round->left == 0) round->done.set();
}

}  // namespace

asio::awaitable<std::vector<ToolOutcome>> run_tool_calls(std::vector<providers::ToolCall> calls,
                                                         const ToolRegistry& registry, SessionActions& session,
                                                         std::chrono::milliseconds timeout) {
  if (calls.empty()) co_return std::vector<ToolOutcome>{};
  auto ex = co_await asio::this_coro::executor;
  auto round = std::make_shared<Round>(ex, calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    round->outcomes[i].call = std::move(calls[i]);
    ToolPtr tool = registry.find(round->outcomes[i].call.name);
    asio::co_spawn(ex, run_one(round, i, std::move(tool), session, timeout),
                   asio::bind_cancellation_slot(round->cancel[i].slot(), asio::detached));
  }
  if (!co_await round->done.wait()) {
    // The turn was cancelled: stop the calls, and wait for them, since they use `session`.
    for (auto& c : round->cancel) c.emit(asio::cancellation_type::terminal);
    co_await asio::this_coro::reset_cancellation_state();
    co_await round->done.wait();
    throw boost::system::system_error(asio::error::operation_aborted);
  }
  co_return std::move(round->outcomes);
}

}  // namespace xz::tools
