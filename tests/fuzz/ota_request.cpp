// An OTA check or activation poll (http/ota_request). Input: header lines
// "name: value", an empty line, then the body. A refusal is a BadRequest of 400 or 413;
// an accepted request names a device id of the documented shape.
#include "fuzz/fuzz_check.h"
#include "http/ota_request.h"

using namespace xz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = fuzz::as_text(data, size);
  net::HttpRequest req;
  req.method = "POST";
  req.path = "/xiaozhi/ota/";
  while (!in.empty()) {
    const auto nl = in.find('\n');
    const std::string_view line = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
    if (name.starts_with("?")) req.query[name.substr(1)] = std::string(value);  // "?device-id: x" is a query parameter
    else req.headers[name] = std::string(value);
  }
  req.body = std::string(in);
  try {
    const http::OtaDeviceReport r = http::parse_ota_request(req, 64 * 1024);
    FUZZ_CHECK(!r.device_id.empty() && r.device_id.size() <= 64);
    FUZZ_CHECK(!r.client_id.empty() && r.client_id.size() <= 128);
  } catch (const http::BadRequest& e) {
    FUZZ_CHECK(e.status() == 400 || e.status() == 413);
  }
  return 0;
}
