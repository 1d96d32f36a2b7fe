#include "tools/builtin/web_api.h"

#include <algorithm>
#include <cctype>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <fmt/format.h>

#include "protocol/json_text.h"
#include "tools/builtin/gzip_body.h"
#include "tools/builtin/html_text.h"

namespace xz::tools::builtin {

namespace asio = boost::asio;

asio::awaitable<WebApiReply> call_web_api(net::HttpClient& http, net::HttpClientRequest req) {
  const std::string where = fmt::format("{} {}", req.method, redact_url(req.url));
  const std::size_t max_bytes = req.max_response_bytes;
  net::HttpClientResponse res;
  try {
    res = co_await http.request(std::move(req));
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) throw;
    throw WebApiError(fmt::format("{}: {}", where, e.what()), 0);
  } catch (const std::runtime_error& e) {
    throw WebApiError(fmt::format("{}: {}", where, e.what()), 0);
  }
  try {
    decode_body(res, max_bytes);
  } catch (const std::runtime_error& e) {
    throw WebApiError(fmt::format("{}: {}", where, e.what()), res.status);
  }
  WebApiReply reply;
  reply.status = res.status;
  reply.body = protocol::parse_json_text(res.body);
  if (reply.body.is_discarded()) reply.body = nullptr;
  reply.text = utf8_truncate(res.body, 4096);
  co_return reply;
}

asio::awaitable<nlohmann::json> fetch_json(net::HttpClient& http, net::HttpClientRequest req, std::string_view service) {
  const std::string url = req.url;
  WebApiReply reply = co_await call_web_api(http, std::move(req));
  if (reply.status < 200 || reply.status > 299)
    throw WebApiError(fmt::format("{} answered HTTP {}: {}", service, reply.status, api_message(reply)), reply.status);
  if (reply.body.is_null())
    throw WebApiError(fmt::format("{} sent a body that is not JSON: {}", service, utf8_truncate(reply.text, 200)),
                      reply.status);
  co_return std::move(reply.body);
}

bool private_host(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return false;
  std::string host(parsed->encoded_host());
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (host == "localhost" || (host.size() > 10 && host.ends_with(".localhost"))) return true;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (ec) return false;
  if (addr.is_unspecified() || addr.is_loopback()) return true;
  if (addr.is_v4()) {
    const auto b = addr.to_v4().to_bytes();
    return b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168) ||
           (b[0] == 169 && b[1] == 254) || b[0] == 0 || (b[0] == 100 && (b[1] & 0xC0) == 64);
  }
  const auto v6 = addr.to_v6();
  if (v6.is_v4_mapped()) return private_host("http://" + asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string() + "/");
  const auto b = v6.to_bytes();
  return v6.is_link_local() || (b[0] & 0xFE) == 0xFC;
}

std::string response_charset(const net::HttpClientResponse& res) {
  const std::string type = res.header("Content-Type");
  std::string lowered = type;
  for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lowered.find("charset") != std::string::npos) return declared_charset(lowered);
  return declared_charset(res.body);
}

bool utf8_charset(std::string_view charset) {
  return charset.empty() || charset == "utf-8" || charset == "utf8" || charset == "us-ascii" || charset == "ascii";
}

asio::awaitable<net::HttpClientResponse> fetch_page(net::HttpClient& http, net::HttpClientRequest req,
                                                    std::string_view service, bool allow_private_hosts) {
  for (int redirects = 0;; ++redirects) {
    if (req.url.rfind("http://", 0) != 0 && req.url.rfind("https://", 0) != 0)
      throw WebApiError(fmt::format("{}: not an http(s) URL: {}", service, utf8_truncate(redact_url(req.url), 200)), 0);
    if (!allow_private_hosts && private_host(req.url))
      throw WebApiError(fmt::format("{}: refused a link into a private network: {}", service,
                                    utf8_truncate(redact_url(req.url), 200)),
                        0);
    const std::string url = redact_url(req.url);  // for messages
    net::HttpClientResponse res;
    try {
      res = co_await http.request(req);
    } catch (const boost::system::system_error& e) {
      if (e.code() == asio::error::operation_aborted) throw;
      throw WebApiError(fmt::format("{}: GET {}: {}", service, url, e.what()), 0);
    } catch (const std::runtime_error& e) {
      throw WebApiError(fmt::format("{}: GET {}: {}", service, url, e.what()), 0);
    }
    try {
      decode_body(res, req.max_response_bytes);
    } catch (const std::runtime_error& e) {
      throw WebApiError(fmt::format("{}: GET {}: {}", service, url, e.what()), res.status);
    }
    if (res.status >= 300 && res.status < 400 && !res.header("Location").empty()) {
      if (redirects >= 3) throw WebApiError(fmt::format("{}: too many redirects from {}", service, url), res.status);
      auto base = boost::urls::parse_uri(req.url);
      auto next = boost::urls::parse_uri_reference(res.header("Location"));
      if (!base || !next) throw WebApiError(fmt::format("{}: bad redirect from {}", service, url), res.status);
      boost::urls::url resolved;
      if (auto rv = boost::urls::resolve(*base, *next, resolved); !rv)
        throw WebApiError(fmt::format("{}: bad redirect from {}", service, url), res.status);
      req.url = std::string(resolved.buffer());
      continue;
    }
    if (!res.ok())
      throw WebApiError(fmt::format("{} answered HTTP {} for {}", service, res.status, utf8_truncate(url, 200)),
                        res.status);
    co_return res;
  }
}

std::string redact_url(std::string_view url) {
  const std::size_t q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, q + 1));
  std::size_t i = q + 1;
  while (i <= url.size()) {
    std::size_t end = url.find_first_of("&#", i);
    if (end == std::string_view::npos) end = url.size();
    const std::string_view param = url.substr(i, end - i);
    const std::size_t eq = param.find('=');
    std::string name(param.substr(0, eq));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool secret = name == "key" || name == "apikey" || name == "api_key" || name == "token" ||
                        name == "access_token" || name == "secret";
    out += secret && eq != std::string_view::npos ? std::string(param.substr(0, eq + 1)) + "***" : std::string(param);
    if (end == url.size()) break;
    if (url[end] == '#') {
      out += url.substr(end);
      break;
    }
    out += '&';
    i = end + 1;
  }
  return out;
}

std::string utf8_truncate(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  const std::size_t room = max_bytes > 3 ? max_bytes - 3 : 0;
  std::size_t cut = room;
  // Back up over continuation bytes (10xxxxxx) to the start of a character.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

std::string api_message(const WebApiReply& reply) {
  const auto& b = reply.body;
  if (b.is_object()) {
    for (const char* key : {"message", "reason", "detail", "error", "msg", "errMsg"}) {
      if (!b.contains(key)) continue;
      const auto& v = b[key];
      if (v.is_string()) return utf8_truncate(v.get<std::string>(), 300);
      if (v.is_object() && v.contains("error") && v["error"].is_string())
        return utf8_truncate(v["error"].get<std::string>(), 300);
      if (!v.is_boolean()) return utf8_truncate(v.dump(), 300);
    }
  }
  return reply.text.empty() ? "(empty body)" : utf8_truncate(reply.text, 300);
}

}  // namespace xz::tools::builtin
