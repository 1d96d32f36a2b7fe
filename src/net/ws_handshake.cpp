#include "net/ws_handshake.h"

#include <cctype>

#include "core/text.h"
#include "protocol/encoding.h"

namespace xz::net::ws {

namespace {
constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

std::string accept_key(std::string_view client_key) {
  std::string joined(core::trim(client_key));
  joined += kGuid;
  return protocol::base64_encode(protocol::sha1(joined));
}

bool header_has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    auto comma = value.find(',');
    if (iequals(core::trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool is_upgrade_request(const HttpRequest& req) {
  return req.method == "GET" && header_has_token(req.header("upgrade"), "websocket") &&
         header_has_token(req.header("connection"), "upgrade");
}

UpgradeAnswer answer_upgrade(const HttpRequest& req, std::string_view server_name) {
  UpgradeAnswer a;
  auto fail = [&a](int status, std::string why) {
    a.status = status;
    a.error = std::move(why);
    return a;
  };
  if (!is_upgrade_request(req)) return fail(400, "not a WebSocket upgrade request");
  if (core::trim(req.header("sec-websocket-version")) != "13")
    return fail(426, "unsupported Sec-WebSocket-Version (13 is)");
  std::string key(core::trim(req.header("sec-websocket-key")));
  auto raw = protocol::base64_decode(key);
  if (!raw || raw->size() != 16) return fail(400, "missing or malformed Sec-WebSocket-Key");
  a.response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  a.response += "Sec-WebSocket-Accept: " + accept_key(key) + "\r\n";
  if (!server_name.empty()) a.response += "Server: " + std::string(server_name) + "\r\n";
  a.response += "\r\n";
  return a;
}

std::optional<std::string> check_upgrade_response(const UpgradeResponse& answer, std::string_view client_key) {
  if (answer.status != 101) return "the server answered " + std::to_string(answer.status) + " instead of 101";
  if (!header_has_token(answer.upgrade, "websocket")) return "no 'Upgrade: websocket' in the answer";
  if (!header_has_token(answer.connection, "upgrade")) return "no 'Connection: Upgrade' in the answer";
  if (core::trim(answer.accept) != accept_key(client_key)) return "wrong Sec-WebSocket-Accept";
  if (!core::trim(answer.extensions).empty()) return "the server chose an extension that was not offered";
  return std::nullopt;
}

std::string make_client_key() { return protocol::base64_encode(protocol::random_bytes(16)); }

std::string upgrade_request(std::string_view host, std::string_view target, std::string_view client_key,
                            const std::map<std::string, std::string>& extra_headers) {
  std::string r = "GET " + std::string(target) + " HTTP/1.1\r\nHost: " + std::string(host) +
                  "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Key: " + std::string(client_key) + "\r\n";
  for (const auto& [name, value] : extra_headers) {
    // A header value with a line break would smuggle headers of its own.
    if (name.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos)
      throw std::invalid_argument("WebSocket header '" + name + "' contains a line break or colon");
    r += name + ": " + value + "\r\n";
  }
  r += "\r\n";
  return r;
}

}  // namespace xz::net::ws
