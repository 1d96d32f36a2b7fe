#pragma once
// dlna_play_music(song_name): plays a song of a DLNA media server (DMS) on a DLNA
// renderer (DMR) in the home, as the reference does: SSDP discovery (M-SEARCH, answers
// collected for a bounded time), the devices' descriptions, ContentDirectory Browse of
// one container (MiniDLNA's "All Music", 1$4), then AVTransport Stop,
// SetAVTransportURI and Play on the renderer. Devices are picked by friendly name
// (plugins.dlna_play_music.dms_name / dmr_name, the first found when unset); what was
// found is reused for refresh_time seconds. The renderer plays; the device only hears
// the confirmation.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "providers/tts/tts.h"  // PcmChunk, which tools/tool.h uses without including
#include "tools/builtin/plugin_config.h"
#include "tools/builtin/upnp.h"
#include "tools/tool.h"

namespace xz::tools::builtin {

struct DlnaSettings {
  std::string dms_name, dmr_name;  // "" = the first one that answers
  std::chrono::seconds refresh{60};
  std::string ssdp_address = "239.255.255.250";  // where M-SEARCH goes (multicast or one host)
  int ssdp_port = 1900;
  std::chrono::milliseconds discovery_time{1000};  // answers are collected this long
  std::string object_id = "1$4";                   // the container browsed for songs
  std::chrono::milliseconds timeout{10000};        // per HTTP request to a device
  std::size_t max_devices = 16;                    // descriptions fetched per discovery
  std::string description;

  static DlnaSettings from(const PluginConfig& cfg);
};

class DlnaPlayMusic final : public Tool {
 public:
  DlnaPlayMusic(DlnaSettings settings, std::shared_ptr<net::HttpClient> http);
  const providers::ToolSchema& schema() const override { return schema_; }
  boost::asio::awaitable<ToolResult> call(nlohmann::json arguments, SessionActions& session) override;

  struct Library {
    std::optional<UpnpDevice> server, renderer;
    std::vector<DidlItem> songs;
  };

 private:
  // SSDP answers' locations, by the device type they answered for.
  boost::asio::awaitable<std::map<std::string, std::vector<std::string>>> discover();
  boost::asio::awaitable<std::optional<UpnpDevice>> pick_device(const std::vector<std::string>& locations,
                                                                std::string_view type, const std::string& name);
  boost::asio::awaitable<std::map<std::string, std::string>> soap(std::string control_url, std::string_view service,
                                                                  std::string action,
                                                                  std::vector<std::pair<std::string, std::string>> args);
  boost::asio::awaitable<std::shared_ptr<const Library>> library();

  DlnaSettings settings_;
  std::shared_ptr<net::HttpClient> http_;
  providers::ToolSchema schema_;
  std::mutex mutex_;  // the tool is shared by every session and loop
  std::shared_ptr<const Library> library_;
  std::chrono::steady_clock::time_point found_at_;
  std::mt19937 random_;
};

}  // namespace xz::tools::builtin
