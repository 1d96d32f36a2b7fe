#pragma once
// JSON web APIs as the built-in functions use them: one request with a deadline, the
// body parsed as JSON, failures as one exception type whose message says what went
// wrong (for the log) while the tool speaks a friendly sentence.
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "net/http_client.h"

namespace xz::tools::builtin {

struct WebApiError : std::runtime_error {
  WebApiError(std::string message, int status) : std::runtime_error(std::move(message)), status(status) {}
  int status;  // the HTTP status, or 0 for network errors and timeouts
};

struct WebApiReply {
  int status = 0;
  nlohmann::json body;  // null when the body is not JSON
  std::string text;     // the raw body, at most a few KiB kept
};

// Sends `req` (its timeouts bound the whole exchange) and parses the reply. Any HTTP
// status is returned; network errors, timeouts and over-long bodies throw
// WebApiError. Cancellation (operation_aborted) propagates unchanged.
boost::asio::awaitable<WebApiReply> call_web_api(net::HttpClient& http, net::HttpClientRequest req);

// The same, and a non-2xx status or a body that is not JSON throws WebApiError naming
// `service` and the API's own message.
boost::asio::awaitable<nlohmann::json> fetch_json(net::HttpClient& http, net::HttpClientRequest req,
                                                  std::string_view service);

// GETs a page or feed from outside (article links may come from a third party): the
// whole body, at most req.max_response_bytes, following up to 3 redirects. Non-2xx
// answers, network errors and timeouts throw WebApiError naming `service`. Unless
// `allow_private_hosts`, URLs whose host is "localhost" or a literal loopback, private or
// link-local address are refused (a guard against links that point inside the network;
// names resolving to such addresses are not caught).
boost::asio::awaitable<net::HttpClientResponse> fetch_page(net::HttpClient& http, net::HttpClientRequest req,
                                                           std::string_view service, bool allow_private_hosts);

// True when the URL's host is "localhost" or a literal loopback, private (RFC 1918,
// fc00::/7), link-local or unspecified IP address.
bool private_host(std::string_view url);

// The charset a response declares (Content-Type, else the body's own declaration),
// lower-case, "" when none; pages in anything but UTF-8 or ASCII are refused by callers.
std::string response_charset(const net::HttpClientResponse& res);
bool utf8_charset(std::string_view charset);

// The URL with the values of credential query parameters (key, apikey, api_key, token,
// access_token, secret) replaced by "***": for logs and error messages (Amap and QWeather
// take their key in the query).
std::string redact_url(std::string_view url);


// Cuts text to at most max_bytes without splitting a UTF-8 character; "..." marks a cut.
std::string utf8_truncate(std::string_view text, std::size_t max_bytes);

// The error message an API put in its JSON body ("message", "reason", "detail", "error",
// "msg", "errMsg"),
// else the start of the body.
std::string api_message(const WebApiReply& reply);

}  // namespace xz::tools::builtin
