#pragma once
// get_place_info(keyword, lang, location?, radius?): shops, restaurants and sights near a
// place, with the Amap (高德) web service as the reference does: a named place is
// geocoded (/v3/geocode/geo) and searched around (/v3/place/around); without one, the
// device's city (from its IP, else plugins.get_place_info.default_city) is searched
// (/v3/place/text). Without plugins.get_place_info.api_key it says it is not configured.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/http_client.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/builtin/plugin_config.h"
#include "tools/tool.h"

namespace xz::tools::builtin {

struct PlaceInfoSettings {
  std::string api_key;
  std::string default_city = "北京";
  std::string api_url = "https://restapi.amap.com";
  std::chrono::milliseconds timeout{10000};
  std::string description;

  static PlaceInfoSettings from(const PluginConfig& cfg);
};

struct AmapGeocode {
  std::string longitude, latitude;  // as Amap writes them ("120.153576")
  std::string formatted_address;
};

struct AmapPoi {
  std::string name, address, distance, rating, tel;
};

// Pure readers of Amap's answers (outside bytes). Both throw WebApiError for an answer
// whose status is not "1" (naming Amap's info, e.g. INVALID_USER_KEY) or that is not an
// object. Amap writes empty values as [], which read as "".
std::optional<AmapGeocode> amap_geocode_answer(const nlohmann::json& answer);
std::vector<AmapPoi> amap_poi_answer(const nlohmann::json& answer);

// The reference's text for the LLM: up to 10 places near `where`.
std::string describe_places(const std::vector<AmapPoi>& pois, const std::string& where);

class GetPlaceInfo final : public Tool {
 public:
  GetPlaceInfo(PlaceInfoSettings settings, std::shared_ptr<net::HttpClient> http);
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

 private:
  boost::asio::awaitable<nlohmann::json> amap(std::string path, std::vector<std::pair<std::string, std::string>> query);

  PlaceInfoSettings settings_;
  std::shared_ptr<net::HttpClient> http_;
  providers::ToolSchema schema_;
};

}  // namespace xz::tools::builtin
