#pragma once
// The manager-api's own connection sends {"type":"server","action":"update_config" |
// "restart","content":{"secret":...}} and waits for {"type":"server","status":...}
// (manager-console.md §2.6.9). The session hands the action over and sends the answer.
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

namespace xz::session {

class ServerActions {
 public:
  virtual ~ServerActions() = default;
  // The answer to send back ({"type":"server","status":"success"|"error",...}); empty
  // (null) for none. Runs on the session's executor; never throws except on cancellation.
  virtual boost::asio::awaitable<nlohmann::json> perform(std::string action, std::string secret) = 0;
};

}  // namespace xz::session
