#include "tools/builtin/hass_play_music.h"

#include <fmt/format.h>

#include "core/log.h"

namespace xz::tools::builtin {

HassPlayMusic::HassPlayMusic(std::shared_ptr<HomeAssistant> ha, std::string description) : ha_(std::move(ha)) {
  schema_.name = "hass_play_music";
  schema_.description = description.empty()
                            ? "Play music or an audiobook on a Home Assistant media player (a speaker in a room), "
                              "through Music Assistant."
                            : std::move(description);
  if (const auto list = ha_->settings().device_list(); !list.empty()) schema_.description += "\n" + list;
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"media_content_id",
         {{"type", "string"},
          {"description", "An album, song, artist or audiobook name; 'random' when the user named none."}}},
        {"entity_id",
         {{"type", "string"},
          {"description", "The speaker's entity_id in Home Assistant, starting with media_player."}}}}},
      {"required", {"media_content_id", "entity_id"}},
  };
}

boost::asio::awaitable<ToolResult> HassPlayMusic::call(nlohmann::json arguments, SessionActions& session) {
  std::string id, media;
  if (arguments.is_object()) {
    if (arguments.contains("entity_id") && arguments["entity_id"].is_string())
      id = arguments["entity_id"].get<std::string>();
    if (arguments.contains("media_content_id") && arguments["media_content_id"].is_string())
      media = arguments["media_content_id"].get<std::string>();
  }
  if (!valid_entity_id(id) || entity_domain(id) != "media_player")
    co_return ToolResult::llm(fmt::format("'{}' is not a media player entity_id (like media_player.living_room). {}",
                                          id, ha_->settings().device_list()));
  if (media.find_first_not_of(" \t") == std::string::npos) media = "random";
  try {
    nlohmann::json data = {{"entity_id", id}, {"media_id", media}};
    std::string domain = "music_assistant", service = "play_media";
    WebApiReply reply = co_await ha_->call_service(std::move(domain), std::move(service), std::move(data));
    if (reply.status < 200 || reply.status > 299)
      co_return home_assistant_failure(reply, "playing " + media + " on " + id, ha_->settings());
    ToolResult r;
    r.action = Action::record;
    r.result = fmt::format("Now playing {} on {}", media, id);
    co_return r;
  } catch (const WebApiError& e) {
    core::SessionLog(session.device_id(), session.session_id()).warn("hass_play_music({}): {}", id, e.what());
    co_return home_assistant_unreachable(e);
  }
}

}  // namespace xz::tools::builtin
