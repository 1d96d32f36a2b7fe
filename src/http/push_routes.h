#pragma once
// Server push, the operator's way to reach devices that are online now (off unless
// server.admin_token is set or console accounts are on; every call is checked by
// AdminAuth: the token, or a console session + CSRF for writes):
//   GET  /api/devices/online        {"devices":[{device_id, session_id, ..., "tools":{...}}]}
//   POST /api/devices/{id}/speak    {"text":"..."}  -> {"success":true}   the device says it now
//   POST /api/devices/{id}/mcp      {"name":"self.audio_speaker.set_volume","arguments":{...}}
//                                   -> {"success":true|false,"result":...} the tool's answer
// A device that is not connected gets 404 with the reason. With several servers
// (server.mqtt.nodes) a device held by another node is reached through it, and the
// online list covers every node ("node" on each device, "unreachable_nodes").
#include <cstddef>
#include <memory>
#include <string>

#include "http/admin_auth.h"

#include "net/http_types.h"

namespace xz::session {
class SessionRegistry;
}

namespace xz::http {

class NodeForwarder;

struct PushContext {
  session::SessionRegistry& registry;
  std::string token;  // used when `auth` is null; then empty = no routes at all (404)
  std::size_t max_body_bytes = 64 * 1024;  // server.max_admin_body_bytes; larger: 413, unread
  // Several servers: devices held by other nodes (node_forwarding.h); nullptr = this one alone.
  std::shared_ptr<NodeForwarder> forwarder = nullptr;
  std::shared_ptr<const AdminAuth> auth = nullptr;  // the server's one check (token and console sessions)
};

void add_push_routes(net::HttpRouter& router, PushContext ctx);

}  // namespace xz::http
