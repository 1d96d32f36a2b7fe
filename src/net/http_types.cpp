#include "net/http_types.h"

#include <algorithm>
#include <cctype>

namespace xz::net {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i <= q.size()) {
    std::size_t amp = q.find('&', i);
    if (amp == std::string_view::npos) amp = q.size();
    std::string_view pair = q.substr(i, amp - i);
    if (!pair.empty()) {
      std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos)
        out[percent_decode(pair, true)] = "";
      else
        out[percent_decode(pair.substr(0, eq), true)] = percent_decode(pair.substr(eq + 1), true);
    }
    i = amp + 1;
  }
  return out;
}

std::string HttpRequest::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpRequest::header_or_query(std::string_view name) const {
  std::string v = header(name);
  if (!v.empty()) return v;
  std::string key = lower(name);
  for (const std::string& k : {key, [&] {
                                 std::string u = key;
                                 std::replace(u.begin(), u.end(), '-', '_');
                                 return u;
                               }()}) {
    auto it = query.find(k);
    if (it != query.end()) return it->second;
  }
  // Browser test pages also send the header's own capitalisation.
  auto it = query.find(std::string(name));
  return it == query.end() ? std::string() : it->second;
}

HttpResponse HttpResponse::text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::json(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse HttpResponse::error(int status, std::string_view message) {
  return json(status, {{"success", false}, {"message", message}});
}

void HttpRouter::add(std::string method, std::string pattern, HttpHandler handler, RouteLimits limits) {
  routes_.push_back(Route{std::move(method), split_path(pattern), std::move(handler), std::move(limits)});
}

const RouteLimits& HttpRouter::limits_for(const HttpRequest& req) const {
  std::map<std::string, std::string> params;
  bool path_known = false;
  if (const Route* r = match(req, params, path_known)) return r->limits;
  if (fallback_ && !(path_known && req.method == "OPTIONS" && cors_methods_)) return fallback_limits_;
  return default_limits_;
}

void HttpRouter::add_default_headers(HttpResponse& resp) const {
  for (const auto& h : default_headers_) resp.headers.push_back(h);
}

void HttpRouter::add_default_header(std::string name, std::string value) {
  default_headers_.emplace_back(std::move(name), std::move(value));
}

void HttpRouter::enable_cors_preflight(std::string allow_methods) {
  cors_methods_ = std::move(allow_methods);
}

const HttpRouter::Route* HttpRouter::match(const HttpRequest& req,
                                           std::map<std::string, std::string>& params,
                                           bool& path_known) const {
  auto segs = split_path(req.path);
  path_known = false;
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    std::map<std::string, std::string> p;
    bool ok = true;
    for (std::size_t i = 0; i < segs.size() && ok; ++i) {
      const auto& s = r.segments[i];
      if (s.size() > 2 && s.front() == '{' && s.back() == '}')
        p[s.substr(1, s.size() - 2)] = segs[i];
      else
        ok = s == segs[i];
    }
    if (!ok) continue;
    path_known = true;
    if (r.method == req.method || (req.method == "HEAD" && r.method == "GET")) {
      params = std::move(p);
      return &r;
    }
  }
  return nullptr;
}

boost::asio::awaitable<HttpResponse> HttpRouter::dispatch(HttpRequest& req) const {
  bool path_known = false;
  const Route* r = match(req, req.params, path_known);
  HttpResponse resp;
  if (r) {
    resp = co_await r->handler(req);
  } else if (path_known && req.method == "OPTIONS" && cors_methods_) {
    resp = HttpResponse::text(200, "");
    resp.headers.emplace_back("Access-Control-Allow-Methods", *cors_methods_);
  } else if (fallback_) {
    resp = co_await fallback_(req);
  } else if (path_known) {
    resp = HttpResponse::error(405, "method not allowed");
  } else {
    resp = HttpResponse::error(404, "not found");
  }
  add_default_headers(resp);
  co_return resp;
}

}  // namespace xz::net
