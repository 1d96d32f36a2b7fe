#pragma once
// /api/v1/agents: list (?search=, ?templates=true), one, create, update (revision-checked:
// an old revision gets 409 with the current object), delete, clone, templates. A save
// naming an engine, function or word the configuration cannot use gets 422 naming the field.
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/api_context.h"
#include "store/agent_records.h"

namespace xz::http {

nlohmann::json agent_json(const store::AgentRecord& a);

void add_agent_routes(net::HttpRouter& router, std::shared_ptr<const ApiContext> ctx,
                      std::vector<ApiRoute>& registered);

}  // namespace xz::http
