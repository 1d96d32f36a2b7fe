#include "tools/mcp/streamable_http_transport.h"

#include <algorithm>
#include <limits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/sse_parser.h"
#include "protocol/json_text.h"
#include "tools/mcp/deadline.h"
#include "tools/mcp/idle_stream.h"
#include "tools/mcp/mcp_body_decoder.h"

namespace xz::tools::mcp {

namespace asio = boost::asio;
using Json = nlohmann::json;

namespace {

// A request's SSE answer may carry notifications before the response; bound the whole.
constexpr std::size_t kStreamBytesPerMessage = 16;
// A POSTed request is bounded by its caller's timeout (McpSession), not by this.
constexpr std::chrono::hours kRequestCeiling{24};
constexpr std::chrono::milliseconds kDeleteTimeout{2000};

bool is_answer_to(const Json& m, const Json& id) {
  if (id.is_null() || !m.is_object() || m.contains("method")) return false;
  auto it = m.find("id");
  return it != m.end() && *it == id;
}

std::string snippet(const std::string& body) {
  return body.size() > 300 ? body.substr(0, 300) + "..." : body;
}

}  // namespace

StreamableHttpTransport::StreamableHttpTransport(asio::any_io_executor ex, std::shared_ptr<net::HttpClient> client,
                                                 StreamableHttpOptions opts)
    : ex_(ex), client_(std::move(client)), opts_(std::move(opts)),
      stop_listening_(std::make_unique<core::Event>(ex)) {}

net::HttpClientRequest StreamableHttpTransport::make_request(std::string method) const {
  net::HttpClientRequest r;
  r.method = std::move(method);
  r.url = opts_.url;
  r.headers = opts_.headers;
  if (!session_id_.empty()) r.headers.emplace_back("Mcp-Session-Id", session_id_);
  if (!protocol_version_.empty()) r.headers.emplace_back("MCP-Protocol-Version", protocol_version_);
  r.connect_timeout = opts_.timeout;
  r.total_timeout = opts_.timeout;
  r.max_response_bytes = opts_.max_message_bytes;
  return r;
}

asio::awaitable<void> StreamableHttpTransport::open(McpTransportHandlers handlers) {
  if (open_) throw McpError(fmt::format("MCP server '{}': already open", opts_.name));
  handlers_ = std::move(handlers);
  open_ = true;
  co_return;  // the first POST (initialize) makes the connection
}

void StreamableHttpTransport::deliver(Json message) {
  if (!closed_) deliver_message(handlers_, std::move(message), opts_.name);
}

void StreamableHttpTransport::report_closed(std::string reason) {
  if (closed_) return;
  closed_ = true;
  stop_listening_->set();
  auto on_closed = std::move(handlers_.on_closed);
  handlers_ = {};
  spdlog::warn("mcp[{}]: {}", opts_.name, reason);
  if (on_closed) on_closed(std::move(reason));
}

asio::awaitable<void> StreamableHttpTransport::send(Json message) {
  if (!open_ || closed_) throw McpError(fmt::format("MCP server '{}': connection closed", opts_.name));
  const bool is_request = message.is_object() && message.contains("method") && message.contains("id");
  const Json expected_id = is_request ? message["id"] : Json();

  auto req = make_request("POST");
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Accept", "application/json, text/event-stream");
  req.body = message.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (is_request) {
    req.total_timeout = kRequestCeiling;
    req.max_response_bytes = opts_.max_message_bytes * kStreamBytesPerMessage;
  }

  auto self = shared_from_this();
  auto decoder = std::make_shared<McpBodyDecoder>(opts_.max_message_bytes);
  auto answered = std::make_shared<bool>(false);
  net::HttpBodyHandler on_body = [self, decoder, answered, expected_id](std::string_view piece) -> core::Task<bool> {
    for (auto& m : decoder->feed(piece)) {
      if (is_answer_to(m, expected_id)) *answered = true;
      self->deliver(std::move(m));
    }
    // The server should end the stream after the answer, but need not.
    co_return !(*answered && decoder->is_sse()) && !self->closed_;
  };

  net::HttpClientResponse resp;
  try {
    resp = co_await client_->stream(std::move(req), std::move(on_body));
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) throw;
    throw McpError(fmt::format("MCP server '{}': {}", opts_.name, e.code().message()));
  } catch (const std::runtime_error& e) {  // network, TLS, timeouts, bad answers
    throw McpError(fmt::format("MCP server '{}': {}", opts_.name, e.what()));
  }

  if (!resp.ok()) {
    if (resp.status == 404 && !session_id_.empty()) {
      report_closed("the server ended the session (HTTP 404)");
      throw McpError(fmt::format("MCP server '{}': session expired", opts_.name));
    }
    throw McpError(fmt::format("MCP server '{}': HTTP {} from {}: {}", opts_.name, resp.status, opts_.url,
                               snippet(resp.body)));
  }
  if (std::string sid = resp.header("Mcp-Session-Id"); !sid.empty() && session_id_.empty()) session_id_ = sid;
  std::vector<Json> rest;
  try {
    rest = decoder->finish();
  } catch (const McpError& e) {
    throw McpError(fmt::format("MCP server '{}': {}", opts_.name, e.what()));
  }
  for (auto& m : rest) {
    if (is_answer_to(m, expected_id)) *answered = true;
    deliver(std::move(m));
  }
  if (decoder->bad_events() > 0)
    spdlog::warn("mcp[{}]: skipped {} stream events that were not JSON", opts_.name, decoder->bad_events());
  // 202 to a request means the answer comes on the notification stream; the session's
  // timeout covers a server that never sends it.
  if (is_request && !*answered && resp.status != 202)
    throw McpError(fmt::format("MCP server '{}': HTTP {} without an answer to the request", opts_.name, resp.status));
}

void StreamableHttpTransport::initialized(const std::string& protocol_version) {
  protocol_version_ = protocol_version;
  if (opts_.notification_stream && !closed_) asio::co_spawn(ex_, listen(shared_from_this()), asio::detached);
}

core::Task<void> StreamableHttpTransport::listen(std::shared_ptr<StreamableHttpTransport> self) {
  std::chrono::milliseconds backoff{1000};
  while (!self->closed_) {
    std::optional<bool> again;
    try {
      again = co_await unless_stopped(listen_once(self), *self->stop_listening_);
    } catch (const std::exception& e) {
      spdlog::debug("mcp[{}]: notification stream failed: {}", self->opts_.name, e.what());
      again = true;
    }
    self->listening_ = false;
    if (!again || !*again || self->closed_) break;
    const bool slept = co_await unless_stopped(core::sleep_for(backoff), *self->stop_listening_);
    if (!slept) break;
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(30));
  }
  self->listening_ = false;
}

// One GET stream; true when it should be opened again.
core::Task<bool> StreamableHttpTransport::listen_once(std::shared_ptr<StreamableHttpTransport> self) {
  auto req = self->make_request("GET");
  req.headers.emplace_back("Accept", "text/event-stream");
  if (!self->last_event_id_.empty()) req.headers.emplace_back("Last-Event-ID", self->last_event_id_);
  req.total_timeout = kRequestCeiling;
  req.max_response_bytes = std::numeric_limits<std::size_t>::max();
  auto parser = std::make_shared<net::SseParser>(self->opts_.max_message_bytes);
  net::HttpBodyHandler on_body = [self, parser](std::string_view piece) -> core::Task<bool> {
    self->listening_ = true;
    for (auto& ev : parser->feed(piece)) {
      if (!ev.id.empty()) self->last_event_id_ = ev.id;
      if (ev.event != "message" || ev.data.empty()) continue;
      Json m = protocol::parse_json_text(ev.data);
      if (m.is_discarded()) {
        spdlog::warn("mcp[{}]: notification stream event is not JSON", self->opts_.name);
        continue;
      }
      self->deliver(std::move(m));
    }
    co_return !self->closed_;
  };
  auto resp = co_await stream_with_idle_timeout(self->client_, std::move(req), std::move(on_body),
                                                self->opts_.sse_read_timeout);
  if (resp.status == 405) {
    spdlog::debug("mcp[{}]: the server offers no notification stream", self->opts_.name);
    co_return false;
  }
  if (resp.status == 404 && !self->session_id_.empty()) {
    self->report_closed("the server ended the session (HTTP 404)");
    co_return false;
  }
  if (!resp.ok()) spdlog::debug("mcp[{}]: notification stream: HTTP {}", self->opts_.name, resp.status);
  co_return true;
}

asio::awaitable<void> StreamableHttpTransport::close() {
  if (!open_ || closed_) {
    closed_ = true;
    co_return;
  }
  closed_ = true;
  handlers_ = {};
  stop_listening_->set();
  if (session_id_.empty()) co_return;
  auto req = make_request("DELETE");
  req.total_timeout = kDeleteTimeout;
  req.connect_timeout = std::min(opts_.timeout, kDeleteTimeout);
  try {
    auto resp = co_await client_->request(std::move(req));
    spdlog::debug("mcp[{}]: session ended (HTTP {})", opts_.name, resp.status);
  } catch (const std::exception& e) {
    spdlog::debug("mcp[{}]: ending the session failed: {}", opts_.name, e.what());
  }
}

}  // namespace xz::tools::mcp
