#include "tools/builtin/web_api.h"

#include <cctype>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <fmt/format.h>

#include "protocol/json_text.h"

namespace xz::tools::builtin {

namespace asio = boost::asio;

asio::awaitable<WebApiReply> call_web_api(net::HttpClient& http, net::HttpClientRequest req) {
  const std::string where = fmt::format("{} {}", req.method, req.url);
  net::HttpClientResponse res;
  try {
    res = co_await http.request(std::move(req));
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) throw;
    throw WebApiError(fmt::format("{}: {}", where, e.what()), 0);
  } catch (const std::runtime_error& e) {
    throw WebApiError(fmt::format("{}: {}", where, e.what()), 0);
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

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
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
    for (const char* key : {"message", "reason", "detail", "error"}) {
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
