#include "tools/mcp/idle_stream.h"

#include <fmt/format.h>

#include "tools/mcp/deadline.h"
#include "tools/mcp/mcp_transport.h"

namespace xz::tools::mcp {

namespace {

struct Activity {
  core::Clock::time_point last = core::Clock::now();
};

// Completes when `idle` passed since the last activity.
core::Task<void> idle_watch(std::shared_ptr<Activity> activity, std::chrono::milliseconds idle) {
  for (;;) {
    auto due = activity->last + idle;
    auto now = core::Clock::now();
    if (now >= due) co_return;
    co_await core::sleep_for(due - now);
  }
}

core::Task<net::HttpClientResponse> run_stream(std::shared_ptr<net::HttpClient> client, net::HttpClientRequest req,
                                               net::HttpBodyHandler on_body) {
  co_return co_await client->stream(std::move(req), std::move(on_body));
}

}  // namespace

core::Task<net::HttpClientResponse> stream_with_idle_timeout(std::shared_ptr<net::HttpClient> client,
                                                             net::HttpClientRequest req,
                                                             net::HttpBodyHandler on_body,
                                                             std::chrono::milliseconds idle) {
  using namespace boost::asio::experimental::awaitable_operators;
  auto activity = std::make_shared<Activity>();
  net::HttpBodyHandler counted = [activity, inner = std::move(on_body)](std::string_view piece) -> core::Task<bool> {
    activity->last = core::Clock::now();
    co_return co_await inner(piece);
  };
  auto streaming = detail::capture(run_stream(std::move(client), std::move(req), std::move(counted)));
  auto watch = idle_watch(activity, idle);
  auto r = co_await (std::move(streaming) || std::move(watch));
  if (r.index() == 1) throw McpError(fmt::format("no data for {} s", idle.count() / 1000.0));
  auto& c = std::get<0>(r);
  if (c.error) std::rethrow_exception(c.error);
  co_return std::move(*c.value);
}

}  // namespace xz::tools::mcp
