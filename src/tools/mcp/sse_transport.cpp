#include "tools/mcp/sse_transport.h"

#include <limits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/sse_parser.h"
#include "protocol/json_text.h"
#include "tools/mcp/deadline.h"
#include "tools/mcp/idle_stream.h"

namespace xz::tools::mcp {

namespace asio = boost::asio;
using Json = nlohmann::json;

namespace {
constexpr std::chrono::hours kStreamCeiling{24 * 365};
}  // namespace

std::string resolve_sse_endpoint(std::string_view stream_url, std::string_view endpoint) {
  auto base = boost::urls::parse_uri(stream_url);
  if (!base) throw McpError(fmt::format("invalid SSE URL '{}'", stream_url));
  auto ref = boost::urls::parse_uri_reference(endpoint);
  if (!ref) throw McpError(fmt::format("the endpoint event is not a URL: '{:.200}'", endpoint));
  boost::urls::url dest;
  if (auto r = boost::urls::resolve(*base, *ref, dest); !r)
    throw McpError(fmt::format("cannot resolve the endpoint '{:.200}': {}", endpoint, r.error().message()));
  if (dest.encoded_origin() != base->encoded_origin())
    throw McpError(fmt::format("the endpoint '{:.200}' is on another origin than {}", endpoint,
                               std::string_view(base->encoded_origin())));
  return std::string(dest.buffer());
}

SseTransport::SseTransport(asio::any_io_executor ex, std::shared_ptr<net::HttpClient> client, SseTransportOptions opts)
    : ex_(ex), client_(std::move(client)), opts_(std::move(opts)), ready_(ex), stop_(ex) {}

asio::awaitable<void> SseTransport::open(McpTransportHandlers handlers) {
  if (opened_) throw McpError(fmt::format("MCP server '{}': already open", opts_.name));
  opened_ = true;
  handlers_ = std::move(handlers);
  asio::co_spawn(ex_, read_stream(shared_from_this()), asio::detached);
  auto got = co_await within(ready_.wait(), opts_.timeout);
  if (!got) {
    closed_ = true;
    stop_.set();
    throw McpError(fmt::format("MCP server '{}': no endpoint event from {} within {} ms", opts_.name, opts_.url,
                               opts_.timeout.count()));
  }
  if (!failure_.empty()) {
    closed_ = true;
    throw McpError(fmt::format("MCP server '{}': {}", opts_.name, failure_));
  }
}

core::Task<net::HttpClientResponse> SseTransport::stream_once(std::shared_ptr<SseTransport> self) {
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = self->opts_.url;
  req.headers = self->opts_.headers;
  req.headers.emplace_back("Accept", "text/event-stream");
  req.headers.emplace_back("Cache-Control", "no-cache");
  req.connect_timeout = self->opts_.timeout;
  req.total_timeout = kStreamCeiling;
  req.max_response_bytes = std::numeric_limits<std::size_t>::max();
  auto parser = std::make_shared<net::SseParser>(self->opts_.max_message_bytes);
  net::HttpBodyHandler on_body = [self, parser](std::string_view piece) -> core::Task<bool> {
    for (auto& ev : parser->feed(piece)) {
      if (ev.event == "endpoint") {
        if (!self->endpoint_.empty()) continue;
        try {
          self->endpoint_ = resolve_sse_endpoint(self->opts_.url, ev.data);
        } catch (const McpError& e) {
          self->failure_ = e.what();
          self->ready_.set();
          co_return false;
        }
        spdlog::debug("mcp[{}]: posting messages to {}", self->opts_.name, self->endpoint_);
        self->ready_.set();
      } else if (ev.event == "message") {
        if (self->endpoint_.empty() || ev.data.empty()) continue;
        Json m = protocol::parse_json_text(ev.data);
        if (m.is_discarded()) {
          spdlog::warn("mcp[{}]: stream event is not JSON: {:.200}", self->opts_.name, ev.data);
          continue;
        }
        if (!self->closed_) deliver_message(self->handlers_, std::move(m), self->opts_.name);
      }
    }
    co_return !self->closed_;
  };
  co_return co_await stream_with_idle_timeout(self->client_, std::move(req), std::move(on_body),
                                              self->opts_.sse_read_timeout);
}

core::Task<void> SseTransport::read_stream(std::shared_ptr<SseTransport> self) {
  std::string reason;
  try {
    auto resp = co_await unless_stopped(stream_once(self), self->stop_);
    if (!resp) co_return;  // close()
    if (!resp->ok()) {
      std::string body = resp->body.substr(0, 300);
      reason = fmt::format("HTTP {} from {}: {}", resp->status, self->opts_.url, body);
    } else {
      reason = "the event stream ended";
    }
  } catch (const std::exception& e) {
    reason = fmt::format("event stream {}: {}", self->opts_.url, e.what());
  }
  if (self->failure_.empty() && self->endpoint_.empty()) {
    self->failure_ = reason;
    self->ready_.set();
    co_return;
  }
  if (!self->failure_.empty()) co_return;  // open() reports it
  self->report_closed(std::move(reason));
}

void SseTransport::report_closed(std::string reason) {
  if (closed_) return;
  closed_ = true;
  stop_.set();
  auto on_closed = std::move(handlers_.on_closed);
  handlers_ = {};
  spdlog::warn("mcp[{}]: {}", opts_.name, reason);
  if (on_closed) on_closed(std::move(reason));
}

asio::awaitable<void> SseTransport::send(Json message) {
  if (closed_ || endpoint_.empty()) throw McpError(fmt::format("MCP server '{}': connection closed", opts_.name));
  net::HttpClientRequest req;
  req.method = "POST";
  req.url = endpoint_;
  req.headers = opts_.headers;
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = message.dump(-1, ' ', false, Json::error_handler_t::replace);
  req.connect_timeout = opts_.timeout;
  req.total_timeout = opts_.timeout;
  req.max_response_bytes = 64 * 1024;  // the answer comes on the stream; this is "Accepted"
  net::HttpClientResponse resp;
  try {
    resp = co_await client_->request(std::move(req));
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) throw;
    throw McpError(fmt::format("MCP server '{}': {}", opts_.name, e.code().message()));
  } catch (const std::runtime_error& e) {
    throw McpError(fmt::format("MCP server '{}': {}", opts_.name, e.what()));
  }
  if (resp.ok()) co_return;
  if (resp.status == 404) report_closed("the server forgot the session (HTTP 404)");
  throw McpError(fmt::format("MCP server '{}': HTTP {} from {}: {:.300}", opts_.name, resp.status, endpoint_, resp.body));
}

asio::awaitable<void> SseTransport::close() {
  closed_ = true;
  handlers_ = {};
  stop_.set();
  co_return;
}

}  // namespace xz::tools::mcp
