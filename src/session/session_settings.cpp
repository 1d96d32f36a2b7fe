#include "session/session_settings.h"

namespace xz::session {

SessionSettings SessionSettings::from_config(const core::Config& cfg) {
  SessionSettings s;
  s.hello_timeout = std::chrono::milliseconds(
      static_cast<long long>(cfg.get<double>("server.hello_timeout_seconds", 10.0) * 1000));
  s.no_voice_timeout = std::chrono::seconds(cfg.get<int>("close_connection_no_voice_time", 120));
  s.hard_close_after = std::chrono::milliseconds(static_cast<long long>(
      cfg.get<double>("close_connection_after_goodbye_seconds", 60.0) * 1000));
  s.downlink.sample_rate = cfg.get<int>("xiaozhi.audio_params.sample_rate", 24000);
  s.downlink.frame_duration = cfg.get<int>("xiaozhi.audio_params.frame_duration", 60);
  s.ping_enabled = cfg.get<bool>("enable_websocket_ping", false);
  return s;
}

}  // namespace xz::session
