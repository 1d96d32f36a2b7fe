#pragma once
// server.mqtt.* (and server.ip) as the MQTT listener's options. The connection caps
// (limiter) are the ones the other listeners share: the caller sets them.
#include "core/config.h"
#include "net/mqtt_server.h"

namespace xz::apps {

net::MqttServerOptions mqtt_server_options(const core::Config& cfg);

}  // namespace xz::apps
