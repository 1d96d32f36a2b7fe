#pragma once
// /api/v1/devices: list and search (with the bound agent, online state and transport
// from the session registry), one device, bind by the activation code the device
// speaks, unbind, and assign an agent (revision-checked: 409 with the current device).
#include <memory>
#include <vector>

#include "http/api_context.h"

namespace xz::http {

void add_device_routes(net::HttpRouter& router, std::shared_ptr<const ApiContext> ctx,
                       std::vector<ApiRoute>& registered);

}  // namespace xz::http
