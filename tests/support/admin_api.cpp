#include "support/admin_api.h"

#include <chrono>

#include <nlohmann/json.hpp>

#include "core/async.h"
#include "net/http_client.h"

namespace xz::test {

boost::asio::awaitable<bool> wait_until_offered(const TestServer& server, std::string admin_token,
                                                std::string device_id, std::string tool) {
  net::HttpClient http;
  const std::string quoted = "\"" + tool + "\"";
  for (int attempt = 0; attempt < 250; ++attempt) {
    net::HttpClientRequest req;
    req.method = "GET";
    req.url = server.http_url("/api/devices/online");
    req.headers = {{"Authorization", "Bearer " + admin_token}};
    auto res = co_await http.request(std::move(req));
    auto online = nlohmann::json::parse(res.body, nullptr, false);
    if (online.is_object())
      for (const auto& d : online["devices"])
        if (d.value("device_id", "") == device_id && d["tools"].is_object() &&
            d["tools"]["llm"].dump().find(quoted) != std::string::npos)
          co_return true;
    co_await core::sleep_for(std::chrono::milliseconds(20));
  }
  co_return false;
}

}  // namespace xz::test
