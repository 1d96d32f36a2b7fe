#pragma once
// Plain HTTP request/response values, so handlers (http/) never see Beast types.
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

namespace xz::net {

struct HttpRequest {
  std::string method;  // upper case: "GET", "POST", ...
  std::string target;  // as sent: path + query
  std::string path;    // percent-decoded path without the query
  std::map<std::string, std::string> query;    // decoded query parameters
  std::map<std::string, std::string> headers;  // lower-case names
  std::map<std::string, std::string> params;   // {name} segments of the matched route
  std::string body;
  // The client: the TCP peer, or the address a trusted proxy reports (client_address.h).
  std::string remote_ip;
  std::string peer_ip;  // the TCP peer itself
  // Came over TLS, or from a trusted proxy saying X-Forwarded-Proto: https (cookies get Secure).
  bool secure = false;

  // Header value by case-insensitive name, or "".
  std::string header(std::string_view name) const;
  // Header, else query parameter under the same name (lower case, '-' or '_').
  std::string header_or_query(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the body is streamed from this file instead (firmware download).
  std::optional<std::string> file_path;

  static HttpResponse text(int status, std::string body);
  static HttpResponse json(int status, const nlohmann::json& body);
  // {"success":false,"message":...} with the given status.
  static HttpResponse error(int status, std::string_view message);
};

using HttpHandler = std::function<boost::asio::awaitable<HttpResponse>(HttpRequest&)>;

// What a route accepts, decided on the request header before any body byte is read.
struct RouteLimits {
  // Largest body; a larger one gets 413 and is not read. nullopt = the server's default.
  std::optional<std::size_t> max_body_bytes;
  // Refuses a request on its header alone (a bad token), so its body is never read.
  std::function<std::optional<HttpResponse>(const HttpRequest&)> precheck;
};

// Routes by method and path pattern; "{name}" matches one path segment and is put in
// HttpRequest::params. A trailing slash is optional on both sides.
class HttpRouter {
 public:
  void add(std::string method, std::string pattern, HttpHandler handler, RouteLimits limits = {});
  // Headers added to every response (e.g. CORS).
  void add_default_header(std::string name, std::string value);
  // Answers OPTIONS for any routed path with these allowed methods.
  void enable_cors_preflight(std::string allow_methods);
  // Handles every request no route matches (instead of 404/405).
  void set_fallback(HttpHandler handler, RouteLimits limits = {}) {
    fallback_ = std::move(handler);
    fallback_limits_ = std::move(limits);
  }

  // The limits of the route `req` (its header) goes to; defaults when there is none.
  const RouteLimits& limits_for(const HttpRequest& req) const;
  boost::asio::awaitable<HttpResponse> dispatch(HttpRequest& req) const;
  // Adds the default headers: for answers made outside dispatch() (a precheck's refusal).
  void add_default_headers(HttpResponse& resp) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    HttpHandler handler;
    RouteLimits limits;
  };
  const Route* match(const HttpRequest& req, std::map<std::string, std::string>& params,
                     bool& path_known) const;

  std::vector<Route> routes_;
  std::vector<std::pair<std::string, std::string>> default_headers_;
  std::optional<std::string> cors_methods_;
  HttpHandler fallback_;
  RouteLimits fallback_limits_;
  RouteLimits default_limits_;
};

// Decodes %XX escapes; '+' becomes a space only in query strings.
std::string percent_decode(std::string_view s, bool plus_is_space = false);
// Parses "a=1&b=x%20y" into a map (last value wins).
std::map<std::string, std::string> parse_query(std::string_view q);

}  // namespace xz::net
