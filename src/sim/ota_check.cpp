#include "sim/ota_check.h"

#include <utility>

#include "net/http_client.h"
#include "protocol/json_text.h"

namespace xz::sim {

using Json = nlohmann::json;

Json ota_request_body(const DeviceProfile& p) {
  return {
      {"version", 2},
      {"language", p.language},
      {"flash_size", 16777216},
      {"minimum_free_heap_size", "8310000"},
      {"mac_address", p.device_id},
      {"uuid", p.client_id},
      {"chip_model_name", "esp32s3"},
      {"chip_info", {{"model", 9}, {"cores", 2}, {"revision", 2}, {"features", 18}}},
      {"application",
       {{"name", "xiaozhi"},
        {"version", p.firmware_version},
        {"compile_time", "Aug  6 2026T12:00:00Z"},
        {"idf_version", "v5.5.2"},
        {"elf_sha256", std::string(64, 'a')}}},
      {"partition_table",
       Json::array({{{"label", "nvs"}, {"type", 1}, {"subtype", 2}, {"address", 36864}, {"size", 16384}},
                    {{"label", "ota_0"}, {"type", 0}, {"subtype", 16}, {"address", 131072}, {"size", 4194304}}})},
      {"ota", {{"label", "ota_0"}}},
      {"display", {{"monochrome", false}, {"width", 240}, {"height", 240}}},
      {"board",
       {{"type", p.board},
        {"name", p.board},
        {"ssid", "SimWiFi"},
        {"rssi", -52},
        {"channel", 6},
        {"ip", "192.168.1.23"},
        {"mac", p.device_id}}},
  };
}

boost::asio::awaitable<OtaAnswer> check_ota(net::HttpClient& http, std::string url, const DeviceProfile& p) {
  net::HttpClientRequest req;
  req.method = "POST";
  req.url = std::move(url);
  req.headers = {{"Activation-Version", "1"},
                 {"Device-Id", p.device_id},
                 {"Client-Id", p.client_id},
                 {"User-Agent", p.board + "/" + p.firmware_version},
                 {"Accept-Language", p.language},
                 {"Content-Type", "application/json"}};
  req.body = ota_request_body(p).dump();
  req.total_timeout = std::chrono::seconds(30);
  auto res = co_await http.request(std::move(req));
  OtaAnswer out;
  out.status = res.status;
  out.body = protocol::parse_json_text(res.body);
  if (out.body.is_discarded()) out.body = nullptr;
  co_return out;
}

}  // namespace xz::sim
