#include "tools/builtin/dlna_play_music.h"

#include <algorithm>
#include <array>

#include <boost/asio/error.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/async.h"
#include "core/log.h"
#include "tools/builtin/fuzzy_match.h"
#include "tools/builtin/tool_args.h"
#include "tools/builtin/web_api.h"

namespace xz::tools::builtin {

namespace asio = boost::asio;

namespace {

bool wants_any_song(std::string s) {
  std::erase_if(s, [](unsigned char c) { return std::isspace(c); });
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s.empty() || s == "random" || s == "any" || s == "随机" || s == "随便";
}

using SoapArgs = std::vector<std::pair<std::string, std::string>>;

constexpr std::size_t kMaxAnswers = 64;  // SSDP datagrams read per discovery

// Receives SSDP answers into `found` until cancelled (by the discovery deadline).
core::Task<void> collect_answers(asio::ip::udp::socket& socket, std::map<std::string, std::vector<std::string>>& found,
                                 std::size_t max_per_type) {
  std::array<char, 8192> buf;
  for (std::size_t n = 0; n < kMaxAnswers; ++n) {
    asio::ip::udp::endpoint from;
    boost::system::error_code ec;
    const std::size_t got =
        co_await socket.async_receive_from(asio::buffer(buf), from, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) throw boost::system::system_error(ec);
    if (ec) continue;  // an ICMP error for one datagram sent (nobody at that port): keep listening
    auto answer = parse_ssdp_answer(std::string_view(buf.data(), got));
    if (!answer) continue;
    for (std::string_view type : {kMediaServerType, kMediaRendererType}) {
      if (answer->st != type) continue;
      auto& list = found[std::string(type)];
      if (list.size() < max_per_type && std::find(list.begin(), list.end(), answer->location) == list.end())
        list.push_back(answer->location);
    }
  }
}

}  // namespace

DlnaSettings DlnaSettings::from(const PluginConfig& cfg) {
  DlnaSettings s;
  s.dms_name = cfg.str("dms_name", "");
  s.dmr_name = cfg.str("dmr_name", "");
  s.refresh = std::chrono::seconds(cfg.integer("refresh_time", 60, 0, 86400));
  s.ssdp_address = cfg.str("ssdp_address", s.ssdp_address);
  boost::system::error_code ec;
  if (!asio::ip::make_address(s.ssdp_address, ec).is_v4() || ec)
    cfg.problem("ssdp_address", "expected an IPv4 address, e.g. 239.255.255.250");
  s.ssdp_port = cfg.integer("ssdp_port", 1900, 1, 65535);
  s.discovery_time = std::chrono::milliseconds(static_cast<long>(cfg.number("discovery_time", 1, 0.1, 10) * 1000));
  s.object_id = cfg.str("object_id", s.object_id);
  s.timeout = std::chrono::milliseconds(static_cast<long>(cfg.number("timeout", 10, 0.1, 120) * 1000));
  s.description = cfg.description("");
  return s;
}

DlnaPlayMusic::DlnaPlayMusic(DlnaSettings settings, std::shared_ptr<net::HttpClient> http)
    : settings_(std::move(settings)), http_(std::move(http)), random_(std::random_device{}()) {
  schema_.name = "dlna_play_music";
  schema_.description = !settings_.description.empty()
                            ? settings_.description
                            : "唱歌、听歌、播放音乐的方法 (plays music on the DLNA speaker or TV in the home).";
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"song_name",
         {{"type", "string"},
          {"description", "歌曲名称，如果用户没有指定具体歌名则为'random', 明确指定的时返回音乐的名字. The song's name, "
                          "or 'random' when the user named none."}}}}},
      {"required", {"song_name"}},
  };
}

asio::awaitable<std::map<std::string, std::vector<std::string>>> DlnaPlayMusic::discover() {
  const auto ex = co_await asio::this_coro::executor;
  asio::ip::udp::socket socket(ex, asio::ip::udp::endpoint(asio::ip::udp::v4(), 0));
  const asio::ip::udp::endpoint target(asio::ip::make_address_v4(settings_.ssdp_address),
                                       static_cast<unsigned short>(settings_.ssdp_port));
  const std::string host = fmt::format("{}:{}", settings_.ssdp_address, settings_.ssdp_port);
  const int mx = std::max(1, static_cast<int>(settings_.discovery_time.count() / 1000));
  for (std::string_view type : {kMediaServerType, kMediaRendererType}) {
    const std::string msg = ssdp_search_request(host, type, mx);
    co_await socket.async_send_to(asio::buffer(msg), target, asio::use_awaitable);
  }
  std::map<std::string, std::vector<std::string>> found;
  co_await core::with_timeout(collect_answers(socket, found, settings_.max_devices), settings_.discovery_time);
  co_return found;
}

asio::awaitable<std::optional<UpnpDevice>> DlnaPlayMusic::pick_device(const std::vector<std::string>& locations,
                                                                       std::string_view type, const std::string& name) {
  for (const auto& location : locations) {
    net::HttpClientRequest req;
    req.method = "GET";
    req.url = location;
    req.connect_timeout = req.total_timeout = settings_.timeout;
    req.max_response_bytes = 1 << 20;
    UpnpDevice device;
    try {
      // Devices are in the home network: private addresses are expected here.
      const auto res = co_await fetch_page(*http_, std::move(req), "the DLNA device", true);
      device = parse_device_description(res.body, location);
    } catch (const WebApiError& e) {
      spdlog::warn("dlna_play_music: {}", e.what());
      continue;
    } catch (const UpnpError& e) {
      spdlog::warn("dlna_play_music: {}: {}", location, e.what());
      continue;
    }
    if (device.type.rfind(std::string(type.substr(0, type.rfind(':') + 1)), 0) != 0) continue;
    if (name.empty() || title_match_score(name, device.friendly_name) > 0.5) co_return device;
  }
  co_return std::nullopt;
}

asio::awaitable<std::map<std::string, std::string>> DlnaPlayMusic::soap(
    std::string control_url, std::string_view service, std::string action,
    std::vector<std::pair<std::string, std::string>> args) {
  net::HttpClientRequest req;
  req.method = "POST";
  req.url = control_url;
  req.headers = {{"Content-Type", "text/xml; charset=\"utf-8\""},
                 {"SOAPAction", fmt::format("\"{}#{}\"", service, action)}};
  req.body = soap_request(service, action, args);
  req.connect_timeout = req.total_timeout = settings_.timeout;
  req.max_response_bytes = 4 << 20;
  net::HttpClientResponse res;
  try {
    res = co_await http_->request(std::move(req));
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) throw;
    throw UpnpError(fmt::format("{} at {}: {}", action, control_url, e.what()));
  } catch (const std::runtime_error& e) {
    throw UpnpError(fmt::format("{} at {}: {}", action, control_url, e.what()));
  }
  // A fault comes with HTTP 500 and a SOAP body that says why.
  if (!res.ok() && res.status != 500)
    throw UpnpError(fmt::format("{} at {}: HTTP {}", action, control_url, res.status));
  co_return parse_soap_answer(res.body, action);
}

asio::awaitable<std::shared_ptr<const DlnaPlayMusic::Library>> DlnaPlayMusic::library() {
  {
    std::lock_guard lock(mutex_);
    if (library_ && std::chrono::steady_clock::now() - found_at_ < settings_.refresh) co_return library_;
  }
  auto found = co_await discover();
  auto lib = std::make_shared<Library>();
  lib->server = co_await pick_device(found[std::string(kMediaServerType)], kMediaServerType, settings_.dms_name);
  lib->renderer = co_await pick_device(found[std::string(kMediaRendererType)], kMediaRendererType, settings_.dmr_name);
  if (lib->server) {
    const std::string control = lib->server->control_url("urn:schemas-upnp-org:service:ContentDirectory:");
    if (control.empty()) throw UpnpError(fmt::format("the media server {} has no ContentDirectory", lib->server->friendly_name));
    SoapArgs browse{{"ObjectID", settings_.object_id}, {"BrowseFlag", "BrowseDirectChildren"},
                    {"Filter", "*"},                   {"StartingIndex", "0"},
                    {"RequestedCount", "2000"},        {"SortCriteria", ""}};
    auto out = co_await soap(control, kContentDirectoryType, "Browse", std::move(browse));
    lib->songs = parse_didl_items(out["Result"]);
  }
  // Only a complete find is reused; a missing device is looked for again next time.
  if (lib->server && lib->renderer) {
    std::lock_guard lock(mutex_);
    library_ = lib;
    found_at_ = std::chrono::steady_clock::now();
  }
  co_return lib;
}

asio::awaitable<ToolResult> DlnaPlayMusic::call(nlohmann::json arguments, SessionActions& session) {
  const core::SessionLog log(session.device_id(), session.session_id());
  const std::string song = string_arg(arguments, "song_name");
  try {
    const auto lib = co_await library();
    if (!lib->server) {
      ToolResult r = ToolResult::failed("抱歉，没有找到DLNA音乐服务器。Sorry, I couldn't find the DLNA music server.");
      r.result = settings_.dms_name.empty() ? "no DLNA media server answered"
                                            : fmt::format("no DLNA media server named '{}' answered", settings_.dms_name);
      co_return r;
    }
    if (!lib->renderer) {
      ToolResult r = ToolResult::failed("抱歉，没有找到DLNA播放设备。Sorry, I couldn't find the DLNA player.");
      r.result = settings_.dmr_name.empty() ? "no DLNA renderer answered"
                                            : fmt::format("no DLNA renderer named '{}' answered", settings_.dmr_name);
      co_return r;
    }
    if (lib->songs.empty()) {
      ToolResult r;
      r.action = Action::not_found;
      r.result = fmt::format("the media server {} lists no songs under {}", lib->server->friendly_name, settings_.object_id);
      r.response = "抱歉，音乐服务器上没有音乐。Sorry, there is no music on the music server.";
      co_return r;
    }
    const DidlItem* chosen = nullptr;
    std::string note;
    if (!wants_any_song(song)) {
      double best = kTitleMatchThreshold;
      for (const auto& s : lib->songs)
        if (double score = title_match_score(song, s.title); score > best) {
          best = score;
          chosen = &s;
        }
      if (!chosen) note = fmt::format("no song matches '{}', a random one plays; ", song);
    }
    if (!chosen) {
      std::lock_guard lock(mutex_);
      chosen = &lib->songs[std::uniform_int_distribution<std::size_t>(0, lib->songs.size() - 1)(random_)];
    }
    const std::string control = lib->renderer->control_url("urn:schemas-upnp-org:service:AVTransport:");
    if (control.empty()) throw UpnpError(fmt::format("the renderer {} has no AVTransport", lib->renderer->friendly_name));
    SoapArgs stop{{"InstanceID", "0"}};
    try {
      co_await soap(control, kAvTransportType, "Stop", std::move(stop));
    } catch (const UpnpError& e) {
      log.info("dlna_play_music: Stop: {}", e.what());  // nothing was playing: renderers answer 701
    }
    SoapArgs set_uri{{"InstanceID", "0"},
                     {"CurrentURI", chosen->url},
                     {"CurrentURIMetaData", didl_metadata(chosen->title, chosen->url)}};
    co_await soap(control, kAvTransportType, "SetAVTransportURI", std::move(set_uri));
    SoapArgs play{{"InstanceID", "0"}, {"Speed", "1"}};
    co_await soap(control, kAvTransportType, "Play", std::move(play));
    log.info("dlna_play_music: {} plays {} ({})", lib->renderer->friendly_name, chosen->title, chosen->url);
    ToolResult r = ToolResult::speak(fmt::format("正在播放{}", chosen->title));
    r.result = fmt::format("{}{} plays {}", note, lib->renderer->friendly_name, chosen->title);
    co_return r;
  } catch (const UpnpError& e) {
    log.warn("dlna_play_music({}): {}", song, e.what());
    ToolResult r = ToolResult::failed("抱歉，DLNA播放失败了。Sorry, playing on the DLNA player failed.");
    r.result = e.what();
    co_return r;
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) throw;
    log.warn("dlna_play_music({}): {}", song, e.what());
    ToolResult r = ToolResult::failed("抱歉，DLNA播放失败了。Sorry, playing on the DLNA player failed.");
    r.result = e.what();
    co_return r;
  }
}

}  // namespace xz::tools::builtin
