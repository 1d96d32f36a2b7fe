#pragma once
// The RFC 6455 opening handshake as text: checking an upgrade request and writing the
// 101 answer (server), writing the request and checking the answer (client). Pure code;
// the HTTP server and ws_connect do the I/O.
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_types.h"

namespace xz::net::ws {

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
std::string accept_key(std::string_view client_key);

// A GET asking to upgrade to WebSocket (Upgrade and Connection headers), valid or not.
bool is_upgrade_request(const HttpRequest& req);

struct UpgradeAnswer {
  // 101 when the upgrade is accepted; otherwise the error status to answer with
  // (400 malformed, 426 unsupported version) and why.
  int status = 101;
  std::string error;
  // The complete 101 response, ready to write.
  std::string response;
};
UpgradeAnswer answer_upgrade(const HttpRequest& req, std::string_view server_name);

// A fresh Sec-WebSocket-Key: 16 random bytes, base64.
std::string make_client_key();

// The complete upgrade GET for `target` on `host` (host[:port] as the Host header).
std::string upgrade_request(std::string_view host, std::string_view target, std::string_view client_key,
                            const std::map<std::string, std::string>& extra_headers);

// The parts of the server's answer that decide the handshake.
struct UpgradeResponse {
  int status = 0;
  std::string upgrade, connection, accept, extensions;
};
// Why the answer does not complete the handshake, or nullopt when it does.
std::optional<std::string> check_upgrade_response(const UpgradeResponse& answer, std::string_view client_key);

// Whether a comma-separated header value lists `token` (case-insensitive).
bool header_has_token(std::string_view value, std::string_view token);

}  // namespace xz::net::ws
