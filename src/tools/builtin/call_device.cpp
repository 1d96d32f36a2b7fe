#include "tools/builtin/call_device.h"

#include <fmt/format.h>

#include "core/log.h"
#include "protocol/percent_encoding.h"
#include "tools/builtin/tool_args.h"
#include "tools/builtin/web_api.h"

namespace xz::tools::builtin {

namespace {

ToolResult failed_call(std::string spoken, std::string detail) {
  ToolResult r = ToolResult::failed(std::move(spoken));
  r.result = std::move(detail);
  return r;
}

}  // namespace

CallDeviceSettings CallDeviceSettings::from(const core::Config& cfg, const PluginConfig& pc,
                                            std::vector<std::string>& problems) {
  CallDeviceSettings s;
  s.manager_url = cfg.str("manager-api.url", "");
  while (!s.manager_url.empty() && s.manager_url.back() == '/') s.manager_url.pop_back();
  s.secret = cfg.str("manager-api.secret", "");
  if (s.manager_url.rfind("http://", 0) != 0 && s.manager_url.rfind("https://", 0) != 0)
    problems.push_back("manager-api.url: call_device needs the manager-api's http(s) URL (its address book places the call)");
  if (s.secret.empty()) problems.push_back("manager-api.secret: call_device needs the manager-api's server secret");
  s.timeout = std::chrono::milliseconds(static_cast<long>(pc.number("timeout", 10, 0.1, 120) * 1000));
  s.description = pc.description("");
  return s;
}

CallDevice::CallDevice(CallDeviceSettings settings, std::shared_ptr<net::HttpClient> http)
    : settings_(std::move(settings)), http_(std::move(http)) {
  schema_.name = "call_device";
  schema_.description =
      !settings_.description.empty()
          ? settings_.description
          : "Start a voice call to another device (设备呼叫). Call it when the user says \"call XX\", \"phone XX\", "
            "\"connect me to XX\" (呼叫XX/打电话给XX/连线XX); nickname is XX, the name the user gave that device in "
            "the address book.";
  schema_.parameters = {
      {"type", "object"},
      {"properties",
       {{"nickname",
         {{"type", "string"}, {"description", "The target device's name in the address book, e.g. 小陈."}}}}},
      {"required", {"nickname"}},
  };
}

boost::asio::awaitable<ToolResult> CallDevice::call(nlohmann::json arguments, SessionActions& session) {
  const std::string nickname = utf8_truncate(string_arg(arguments, "nickname"), 100);
  if (nickname.empty()) co_return ToolResult::llm("call_device needs the nickname of the device to call; ask the user.");
  if (session.device_id().empty())
    co_return failed_call("Sorry, I don't know which device I am, so I can't place a call.", "no device id");
  net::HttpClientRequest req;
  req.method = "GET";
  req.url = fmt::format("{}/device/address-book/call?callerMac={}&nickname={}", settings_.manager_url,
                        protocol::percent_encode(session.device_id()), protocol::percent_encode(nickname));
  req.headers = {{"Authorization", "Bearer " + settings_.secret}, {"Accept", "application/json"}};
  req.connect_timeout = std::min(settings_.timeout, std::chrono::milliseconds(3000));
  req.total_timeout = settings_.timeout;
  req.max_response_bytes = 64 * 1024;
  const core::SessionLog log(session.device_id(), session.session_id());
  nlohmann::json body;
  try {
    body = co_await fetch_json(*http_, std::move(req), "the manager-api");
  } catch (const WebApiError& e) {
    log.warn("call_device({}): {}", nickname, e.what());
    co_return failed_call("Sorry, the call could not be placed. Please try again later.", e.what());
  }
  // The manager's envelope: {"code":0,"msg":"success","data":{"status","message"}}, HTTP 200 even on errors.
  auto text_at = [](const nlohmann::json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? utf8_truncate(j[key].get<std::string>(), 200)
                                                                   : std::string();
  };
  if (!body.is_object() || !body.contains("code") || !body["code"].is_number_integer()) {
    log.warn("call_device({}): the manager-api answered without a code", nickname);
    co_return failed_call("Sorry, the call could not be placed. Please try again later.",
                          "the manager-api answered without a code");
  }
  if (body["code"].get<long long>() != 0) {
    std::string msg = text_at(body, "msg");
    log.warn("call_device({}): manager-api code {}: {}", nickname, body["code"].get<long long>(), msg);
    co_return failed_call(msg.empty() ? "Sorry, the call could not be placed." : msg,
                          fmt::format("manager-api code {}: {}", body["code"].get<long long>(), msg));
  }
  const nlohmann::json data = body.contains("data") ? body["data"] : nlohmann::json();
  if (text_at(data, "status") == "error") {
    std::string msg = text_at(data, "message");
    log.info("call_device({}): {}", nickname, msg);
    co_return failed_call(msg.empty() ? "Sorry, the call could not be placed." : msg, "gateway: " + msg);
  }
  log.info("call_device: calling {}", nickname);
  ToolResult r = ToolResult::speak(fmt::format("Calling {}, please wait for them to answer.", nickname));
  r.result = fmt::format("Calling {}", nickname);
  co_return r;
}

}  // namespace xz::tools::builtin
