#pragma once
// Reading an OTA check (POST /xiaozhi/ota/) or an activation poll: who the device is
// (Device-Id / Client-Id headers) and what it runs (board, firmware version from the
// body or the reference's alternative headers). The device is identified by its
// headers only; no body field is required. Pure: no I/O.
#include <cstddef>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "net/http_types.h"

namespace xz::http {

// A request the endpoint refuses; `status` is 400 or 413.
class BadRequest : public std::runtime_error {
 public:
  BadRequest(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

struct OtaDeviceReport {
  std::string device_id;         // Device-Id (MAC)
  std::string client_id;         // Client-Id (UUID); the device id when absent
  std::string board;             // model: header, else board.type, else "model"; may be empty
  std::string firmware_version;  // application.version or a version header; may be empty
  std::string remote_ip;         // the client (through trusted proxies), for the MQTT user data
};

// Device-Id header (or query parameter): 1-64 of [A-Za-z0-9:_.-]. Throws BadRequest.
std::string required_device_id(const net::HttpRequest& req);
// Client-Id, else `fallback`; at most 128 printable ASCII characters, no spaces or '|'
// (session::client_id_problem). Throws BadRequest.
std::string client_id_or(const net::HttpRequest& req, const std::string& fallback);
// The body as a JSON object; an empty body is {}. Throws BadRequest (413 above
// max_bytes, 400 for anything that is not a JSON object).
nlohmann::json json_object_body(const net::HttpRequest& req, std::size_t max_bytes);

OtaDeviceReport parse_ota_request(const net::HttpRequest& req, std::size_t max_body_bytes);

}  // namespace xz::http
