#include "http/ota_request.h"

#include <initializer_list>

#include "protocol/json_text.h"
#include "session/identity.h"

namespace xz::http {

namespace {

bool device_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '_' ||
         c == '-' || c == '.';
}

// Text fields stored and echoed to operators: bounded, printable, no control bytes.
std::string clean_field(const nlohmann::json& v, std::size_t max_len) {
  if (!v.is_string()) return {};
  std::string s = v.get<std::string>();
  if (s.size() > max_len) s.resize(max_len);
  for (auto& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
  return s;
}

const nlohmann::json* member(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string first_header(const net::HttpRequest& req, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    std::string v = req.header(n);
    if (!v.empty()) return v;
  }
  return {};
}

}  // namespace

std::string required_device_id(const net::HttpRequest& req) {
  std::string id = req.header_or_query("Device-Id");
  if (id.empty()) throw BadRequest(400, "missing Device-Id header");
  if (id.size() > 64) throw BadRequest(400, "Device-Id is longer than 64 characters");
  for (char c : id)
    if (!device_id_char(c)) throw BadRequest(400, "Device-Id may contain only letters, digits and : _ - .");
  return id;
}

std::string client_id_or(const net::HttpRequest& req, const std::string& fallback) {
  std::string id = req.header_or_query("Client-Id");
  if (id.empty()) return fallback;
  if (auto why = session::client_id_problem(id)) throw BadRequest(400, *why);
  return id;
}

nlohmann::json json_object_body(const net::HttpRequest& req, std::size_t max_bytes) {
  if (req.body.size() > max_bytes)
    throw BadRequest(413, "request body is larger than " + std::to_string(max_bytes) + " bytes");
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json::object();
  nlohmann::json j = protocol::parse_json_text(req.body);
  if (j.is_discarded()) throw BadRequest(400, "request body is not valid JSON");
  if (!j.is_object()) throw BadRequest(400, "request body must be a JSON object");
  return j;
}

OtaDeviceReport parse_ota_request(const net::HttpRequest& req, std::size_t max_body_bytes) {
  OtaDeviceReport r;
  r.device_id = required_device_id(req);
  r.client_id = client_id_or(req, r.device_id);
  nlohmann::json body = json_object_body(req, max_body_bytes);

  r.board = clean_field(first_header(req, {"device-model", "device_model", "model"}), 64);
  if (r.board.empty()) {
    if (const auto* board = member(body, "board")) {
      if (const auto* type = member(*board, "type")) r.board = clean_field(*type, 64);
    }
  }
  if (r.board.empty()) {
    if (const auto* model = member(body, "model")) r.board = clean_field(*model, 64);
  }

  if (const auto* app = member(body, "application")) {
    if (const auto* v = member(*app, "version")) r.firmware_version = clean_field(*v, 32);
  }
  if (r.firmware_version.empty())
    r.firmware_version = clean_field(first_header(req, {"device-version", "device_version", "firmware-version",
                                                        "app-version", "application-version"}),
                                     32);
  r.remote_ip = req.remote_ip;
  return r;
}

}  // namespace xz::http
